/**
 * Compensated (Neumaier) summation: the result is as accurate as summing in exact arithmetic and rounding once,
 * up to a few ulps, independent of the order of the terms. numpy's pairwise sum is within O(log n) ulps of the
 * same value, so agreement with scikit-learn/scipy stays far inside 1e-9.
 */
export function stableSum(xs: ArrayLike<number>): number {
  let sum = 0;
  let compensation = 0;
  let naive = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as number;
    naive += x;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  // With infinities or NaN the compensation term is NaN; the plain sum carries the right non-finite value.
  return Number.isFinite(naive) ? sum + compensation : naive;
}

/** Arithmetic mean with compensated summation; NaN for an empty input (like numpy's mean). */
export function stableMean(xs: ArrayLike<number>): number {
  return xs.length === 0 ? Number.NaN : stableSum(xs) / xs.length;
}

export function assertSameLength(name: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new RangeError(`${name}: inputs have different lengths (${a.length} vs ${b.length})`);
}
