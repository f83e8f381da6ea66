import { assertSameLength, stableMean } from "./sum.js";

/** The characters Python's str.split() (no argument) splits on: exactly those for which str.isspace() is true. */
const PY_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Python's `s.lower().split()`: lower-case, then split on runs of whitespace, dropping empty pieces. */
export function lowerWords(s: string): string[] {
  return s
    .toLowerCase()
    .split(PY_WHITESPACE)
    .filter((w) => w.length > 0);
}

/**
 * Word-level Jaccard of the tweet-sentiment-extraction competition: with A and B the *sets* of lower-cased
 * whitespace-separated words, |A ∩ B| / (|A| + |B| - |A ∩ B|). NaN when both sides are empty (0 / 0, which
 * makes MLE-bench's grader fail).
 */
export function wordJaccard(a: string, b: string): number {
  const setA = new Set(lowerWords(a));
  const setB = new Set(lowerWords(b));
  let common = 0;
  for (const w of setA) if (setB.has(w)) common++;
  const union = setA.size + setB.size - common;
  return union === 0 ? Number.NaN : common / union;
}

/** Mean word Jaccard over row pairs; NaN if any row is undefined (both empty) or the input is empty. */
export function meanWordJaccard(predictions: readonly string[], truths: readonly string[]): number {
  assertSameLength("meanWordJaccard", predictions, truths);
  return stableMean(predictions.map((p, i) => wordJaccard(p, truths[i] as string)));
}
