/**
 * A per-token exploration bonus for token-level policies (the sampled-token estimate of an entropy bonus):
 * each completion token's advantage gets β × (its surprisal − the batch's mean surprisal), where surprisal is
 * −log μ(token) under the weights that sampled it. Rare choices are nudged up and habitual ones down, which
 * slows the collapse onto the first program that works well enough; the bonus sums to zero over the batch, so
 * it reshuffles probability rather than inflating every advantage.
 *
 * The bonus is a policy-gradient term like the advantage, so it gets the rollout's duration weight too (and the
 * mean is taken with those weights, keeping the sum at zero). Unweighted, a program that crashes after one second
 * keeps its full bonus while its penalty shrinks to Δt / mean Δt: with rare tokens it nets out near zero, and the
 * policy drifts into fast crashes.
 */
export function tokenAdvantages(
  items: readonly { logprobs: readonly number[]; advantage: number; weight?: number }[],
  beta: number,
): number[][] {
  if (beta === 0) return items.map((it) => it.logprobs.map(() => it.advantage));
  let sum = 0;
  let n = 0;
  for (const it of items) {
    const w = it.weight ?? 1;
    for (const lp of it.logprobs) {
      sum += w * -lp;
      n += w;
    }
  }
  const mean = n > 0 ? sum / n : 0;
  return items.map((it) => it.logprobs.map((lp) => it.advantage + (it.weight ?? 1) * beta * (-lp - mean)));
}
