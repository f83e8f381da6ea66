/**
 * A per-token exploration bonus for token-level policies (the sampled-token estimate of an entropy bonus):
 * each completion token's advantage gets β × (its surprisal − the batch's mean surprisal), where surprisal is
 * −log μ(token) under the weights that sampled it. Rare choices are nudged up and habitual ones down, which
 * slows the collapse onto the first program that works well enough; the bonus sums to zero over the batch, so
 * it reshuffles probability rather than inflating every advantage.
 */
export function tokenAdvantages(items: readonly { logprobs: readonly number[]; advantage: number }[], beta: number): number[][] {
  if (beta === 0) return items.map((it) => it.logprobs.map(() => it.advantage));
  let sum = 0;
  let n = 0;
  for (const it of items) for (const lp of it.logprobs) {
    sum += -lp;
    n++;
  }
  const mean = n ? sum / n : 0;
  return items.map((it) => it.logprobs.map((lp) => it.advantage + beta * (-lp - mean)));
}
