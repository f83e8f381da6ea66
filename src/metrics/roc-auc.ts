import { assertSameLength, stableMean } from "./sum.js";

/**
 * Area under the ROC curve for a binary target, as sklearn.metrics.roc_auc_score computes it: the larger of the
 * two labels is the positive class and tied scores count one half (the trapezoid through tied thresholds).
 * Computed exactly from average ranks (Mann-Whitney U), so the only rounding is the final division.
 * NaN when y_true does not hold exactly two classes or a score is not finite (sklearn raises there).
 */
export function rocAuc(yTrue: readonly number[], yScore: readonly number[]): number {
  assertSameLength("rocAuc", yTrue, yScore);
  const n = yTrue.length;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i] as number;
    const s = yScore[i] as number;
    if (Number.isNaN(y) || !Number.isFinite(s)) return Number.NaN;
    if (y < low) low = y;
    if (y > high) high = y;
  }
  if (!(low < high)) return Number.NaN;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i] as number;
    if (y !== low && y !== high) return Number.NaN; // more than two classes
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (yScore[a] as number) - (yScore[b] as number));
  // Ranks are 1-based; a tie group i..j shares rank (i + j + 2) / 2, a half-integer, so the sums stay exact.
  let positiveRankSum = 0;
  let positives = 0;
  for (let i = 0; i < n;) {
    let j = i;
    const s = yScore[order[i] as number] as number;
    while (j + 1 < n && (yScore[order[j + 1] as number] as number) === s) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) {
      if ((yTrue[order[k] as number] as number) === high) {
        positiveRankSum += rank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean of per-column ROC AUC (columns given column-major: one array per class). NaN if any column is undefined. */
export function meanColumnRocAuc(yTrueColumns: readonly (readonly number[])[], yScoreColumns: readonly (readonly number[])[]): number {
  assertSameLength("meanColumnRocAuc", yTrueColumns, yScoreColumns);
  const scores = yTrueColumns.map((col, j) => rocAuc(col, yScoreColumns[j] as readonly number[]));
  return stableMean(scores);
}
