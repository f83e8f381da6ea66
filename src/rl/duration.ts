/**
 * Duration-aware weighting (the paper's §1): in an asynchronous loop a program that runs Δt seconds comes back
 * about 1/Δt times as often as others, so each policy-gradient term is multiplied by its Δt. Dividing by the
 * batch's mean Δt keeps the weights' mean at 1, so the step size does not depend on how slow the batch was.
 */
export function durationWeights(durations: readonly number[], enabled = true): number[] {
  if (!enabled || durations.length === 0) return durations.map(() => 1);
  // A program that died instantly still took some time to start; a floor keeps its weight positive.
  const floored = durations.map((d) => Math.max(d, 1e-3));
  const mean = floored.reduce((a, b) => a + b, 0) / floored.length;
  return floored.map((d) => d / mean);
}
