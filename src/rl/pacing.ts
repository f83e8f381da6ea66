/**
 * Staleness is bounded by pacing new work, never by discarding finished work: a rollout may start only while
 * (finished-but-untrained + in flight) stays within (maxStaleness + 1) × batchSize after it starts. Discarding
 * finished rollouts would starve slow programs — the very bias duration weighting corrects.
 */
export function mayStart(state: { finishedUntrained: number; inFlight: number }, batchSize: number, maxStaleness: number): boolean {
  return state.finishedUntrained + state.inFlight + 1 <= (maxStaleness + 1) * batchSize;
}
