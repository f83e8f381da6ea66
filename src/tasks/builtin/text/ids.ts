import type { Rng } from "../../../util/random.js";

/** `count` distinct ids drawn by `make`, in draw order; redraws on a collision so the result depends only on the rng. */
export function distinctIds(rng: Rng, count: number, make: (rng: Rng) => string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < count) {
    const id = make(rng);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/** Like the original spooky ids: "id" and five digits. */
export const spookyId = (rng: Rng): string => `id${String(rng.int(100000)).padStart(5, "0")}`;

/** Like the original tweet ids: ten lower-case hex digits. */
export const hexId = (rng: Rng): string => Array.from({ length: 10 }, () => "0123456789abcdef"[rng.int(16)]).join("");

/** Shuffled row indices cut into train and test parts. */
export function splitIndices(rng: Rng, n: number, testFraction: number): { train: number[]; test: number[] } {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const nTest = Math.round(n * testFraction);
  return { test: order.slice(0, nTest), train: order.slice(nTest) };
}
