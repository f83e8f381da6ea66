import type { Rng } from "../../../util/random.js";

/** Round to `digits` decimals, the way the real competitions' CSVs carry limited precision. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Gamma(shape, 1) by Marsaglia-Tsang, with the shape < 1 boost. */
export function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function dirichlet(rng: Rng, alpha: readonly number[]): number[] {
  const g = alpha.map((a) => gamma(rng, a));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / s);
}

/** Poisson by inversion (small means only). */
export function poisson(rng: Rng, mean: number): number {
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1 - rng.next();
  while (p > l) {
    k++;
    p *= 1 - rng.next();
  }
  return k;
}

/** Index drawn from unnormalised weights. */
export function categorical(rng: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * Split rows 0..n-1 into train and test the way MLE-bench's prepare scripts do (scikit-learn's train_test_split):
 * a random subset becomes the test set, and both parts come out in shuffled order.
 */
export function splitRows(rng: Rng, n: number, nTest: number): { train: number[]; test: number[] } {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return { test: order.slice(0, nTest), train: order.slice(nTest) };
}

export function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + from);
}
