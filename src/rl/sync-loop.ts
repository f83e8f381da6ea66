import { setMaxListeners } from "node:events";
import type { Clock } from "../core/clock.js";
import { AdvantageEstimator } from "./advantage.js";
import { durationWeights } from "./duration.js";
import type { PolicyPort } from "../core/policy-port.js";
import type { RolloutRunner } from "../core/rollout.js";
import type { AdvantageConfig } from "./advantage.js";
import type { LoopSummary } from "./loop.js";

/**
 * The synchronous baseline: sample a batch, wait for every execution of it, update, repeat. Executors idle
 * while the batch's slowest program runs — the waste the asynchronous loop removes. Kept for comparison
 * (benchmarks and ablations); it stores nothing.
 */
export async function runSyncLoop(
  deps: { policy: PolicyPort; runner: RolloutRunner; clock: Clock },
  config: {
    taskIds: readonly string[];
    executors: number;
    batchSize: number;
    durationAware: boolean;
    advantage: AdvantageConfig;
    maxRollouts?: number;
    maxSeconds?: number;
  },
): Promise<LoopSummary> {
  const { policy, runner, clock } = deps;
  const estimator = new AdvantageEstimator(config.advantage);
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const deadline = config.maxSeconds;
  if (deadline !== undefined) void clock.sleep(deadline).then(() => abort.abort());
  const t0 = clock.now();
  let busy = 0;
  let done = 0;
  let updates = 0;
  const limit = config.maxRollouts ?? Number.POSITIVE_INFINITY;
  while (done < limit && !abort.signal.aborted) {
    const n = Math.min(config.batchSize, limit - done);
    const actions = await Promise.all(
      Array.from({ length: n }, (_, i) => policy.sample({ taskId: config.taskIds[(done + i) % config.taskIds.length]!, kind: "scratch" })),
    );
    const outcomes = new Array<Awaited<ReturnType<RolloutRunner["run"]>>>(n);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const start = clock.now();
        outcomes[i] = await runner.run({
          taskId: config.taskIds[(done + i) % config.taskIds.length]!,
          action: actions[i]!,
          signal: abort.signal,
          outDir: "",
        });
        busy += clock.now() - start;
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.executors, n) }, worker));
    // A batch cut by the deadline is not trained on, as in the asynchronous loop.
    if (abort.signal.aborted) break;
    const adv = estimator.compute(
      outcomes.map((o, i) => ({
        taskId: config.taskIds[(done + i) % config.taskIds.length]!,
        kind: "scratch" as const,
        reward: o!.reward.reward,
      })),
    );
    const w = durationWeights(
      outcomes.map((o) => o!.reward.wallSec),
      config.durationAware,
    );
    await policy.update(actions.map((a, i) => ({ action: a, advantage: adv[i]! * w[i]! })));
    updates += 1;
    done += n;
  }
  const elapsed = deadline ?? clock.now() - t0;
  return {
    rollouts: done,
    updates,
    policyVersion: policy.version(),
    elapsedSec: elapsed,
    utilisation: elapsed > 0 ? busy / (config.executors * elapsed) : 0,
    stoppedBy: "rollouts",
    maxPacingLoad: config.batchSize,
  };
}
