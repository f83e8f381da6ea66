import { assertSameLength, stableMean, stableSum } from "./sum.js";

/** float64 machine epsilon, the clip bound scikit-learn >= 1.5 uses for log loss. */
export const LOG_LOSS_EPS = 2 ** -52;

/**
 * Multiclass log loss (sklearn.metrics.log_loss with a one-hot / indicator y_true): predictions are clipped to
 * [eps, 1 - eps] with eps = float64 machine epsilon and NOT renormalised; the loss of a row is
 * -sum_j y_ij log p_ij, and the result is the mean over rows. NaN where scikit-learn raises: a prediction that
 * is NaN or outside [0, 1], or a ragged row.
 */
export function multiclassLogLoss(yTrue: readonly (readonly number[])[], yPred: readonly (readonly number[])[]): number {
  assertSameLength("multiclassLogLoss", yTrue, yPred);
  if (yTrue.length === 0) return Number.NaN;
  const losses = new Array<number>(yTrue.length);
  const terms: number[] = [];
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as readonly number[];
    const p = yPred[i] as readonly number[];
    if (t.length !== p.length) return Number.NaN;
    terms.length = 0;
    for (let j = 0; j < t.length; j++) {
      const pj = p[j] as number;
      if (!(pj >= 0 && pj <= 1)) return Number.NaN;
      const clipped = Math.min(Math.max(pj, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
      const tj = t[j] as number;
      if (tj !== 0) terms.push(tj * Math.log(clipped)); // xlogy(0, p) is 0
    }
    losses[i] = -stableSum(terms);
  }
  return stableMean(losses);
}
