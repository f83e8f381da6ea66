import { assertSameLength } from "./sum.js";

/** Fraction of exact matches (sklearn.metrics.accuracy_score). NaN for empty input. */
export function accuracy(yTrue: readonly number[], yPred: readonly number[]): number {
  assertSameLength("accuracy", yTrue, yPred);
  if (yTrue.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Quadratic weighted kappa, as sklearn.metrics.cohen_kappa_score(y1, y2, weights="quadratic"): the labels are
 * the sorted union of both inputs and the weight of a disagreement is the squared distance between the labels'
 * *positions* in that list (not their values). NaN when kappa is undefined (sklearn's replace_undefined_by).
 * All sums are of integers, so they are exact; the result is rounded once.
 */
export function quadraticWeightedKappa(y1: readonly number[], y2: readonly number[]): number {
  assertSameLength("quadraticWeightedKappa", y1, y2);
  const n = y1.length;
  if (n === 0) return Number.NaN;
  for (let i = 0; i < n; i++) if (Number.isNaN(y1[i] as number) || Number.isNaN(y2[i] as number)) return Number.NaN;
  const labels = [...new Set([...y1, ...y2])].sort((a, b) => a - b);
  const position = new Map(labels.map((label, i) => [label, i]));
  const k = labels.length;
  const rowTotals = new Array<number>(k).fill(0); // by y1 label
  const colTotals = new Array<number>(k).fill(0); // by y2 label
  let observed = 0; // sum of w_ij * confusion_ij
  for (let t = 0; t < n; t++) {
    const i = position.get(y1[t] as number) as number;
    const j = position.get(y2[t] as number) as number;
    rowTotals[i]! += 1;
    colTotals[j]! += 1;
    observed += (i - j) * (i - j);
  }
  // expected_ij = colTotals_i * rowTotals_j / n (sklearn's outer(sum0, sum1) / sum); keep the numerator integral.
  let expectedTimesN = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) expectedTimesN += (i - j) * (i - j) * (colTotals[i] as number) * (rowTotals[j] as number);
  }
  if (expectedTimesN === 0) return Number.NaN;
  const numerator = observed * n;
  const ratio =
    Number.isSafeInteger(numerator) && Number.isSafeInteger(expectedTimesN) ? numerator / expectedTimesN : observed / (expectedTimesN / n);
  return 1 - ratio;
}
