import type { Clock } from "../core/clock.js";
import type { SimulationModel } from "../core/config.js";
import { ROLLOUT_RECORD_VERSION, type RolloutRecord, type RolloutRequest, type RolloutRunner } from "../core/rollout.js";
import { Rng } from "../util/random.js";

/**
 * A runner whose durations and rewards come from a model instead of a sandbox: action.code names the action.
 * It sleeps on the loop's clock, so under a VirtualClock thousands of slots cost only bookkeeping.
 */
export class SimulatedRunner implements RolloutRunner {
  private readonly rng: Rng;
  constructor(
    private readonly model: SimulationModel,
    private readonly clock: Clock,
    seed = 0,
  ) {
    this.rng = new Rng(seed);
  }

  async run({ action, signal }: RolloutRequest): Promise<RolloutRecord> {
    const spec = this.model.actions[action.code];
    if (!spec) throw new Error(`simulation model has no action named ${JSON.stringify(action.code)}`);
    const wallSec = spec.medianSec * Math.exp(spec.sigma * this.rng.normal());
    const failed = this.rng.next() < spec.failProb;
    const reward = failed ? this.model.failReward : spec.reward + spec.rewardStd * this.rng.normal();
    await this.clock.sleep(wallSec, signal);
    return simulatedRecord({ reward, wallSec, failed });
  }
}

/** The record of a simulated action: no program ran, so there is nothing to grade or instrument. */
export function simulatedRecord(o: { reward: number; wallSec: number; failed: boolean }): RolloutRecord {
  const failureKind = o.failed ? "runtime_error" : "none";
  const metric = o.failed ? null : o.reward;
  return {
    v: ROLLOUT_RECORD_VERSION,
    execution: {
      exitCode: o.failed ? 1 : 0,
      signal: null,
      timedOut: false,
      killed: null,
      wallSec: o.wallSec,
      cpuSec: null,
      peakMemoryMb: null,
      summary: `simulated: ${o.failed ? "failed" : "succeeded"} after ${o.wallSec.toFixed(1)} s`,
      notes: [],
      stdoutBytes: 0,
      stderrBytes: 0,
      worker: "simulated",
    },
    grade: null,
    scores: null,
    instrumentation: { instrumenter: null, sites: 0, note: null, credited: [], rejected: 0, replayed: 0, tampering: null },
    reward: {
      reward: o.reward,
      score: metric,
      validSubmission: !o.failed,
      milestonesReached: [],
      failureKind,
      validationMetric: metric,
      wallSec: o.wallSec,
    },
    feedback: { output: "", failureKind, milestones: 0, validationMetric: metric, validSubmission: !o.failed, summary: "simulated" },
  };
}
