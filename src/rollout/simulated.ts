import { z } from "zod";
import type { Clock } from "../core/clock.js";
import type { RolloutOutcome, RolloutRequest, RolloutRunner } from "../core/rollout.js";
import { Rng } from "../util/random.js";

/** How one kind of action behaves: lognormal duration, normal reward; a failure rate turns it into −10. */
export const SimulatedAction = z.object({
  /** Median duration in seconds. */
  medianSec: z.number().positive(),
  /** σ of log-duration: 0 = fixed, 1+ = heavy tail. */
  sigma: z.number().nonnegative(),
  reward: z.number(),
  rewardStd: z.number().nonnegative().default(0),
  failProb: z.number().min(0).max(1).default(0),
});
export type SimulatedAction = z.infer<typeof SimulatedAction>;

export const SimulationModel = z.object({
  actions: z.record(z.string(), SimulatedAction),
  failReward: z.number().default(-10),
});
export type SimulationModel = z.infer<typeof SimulationModel>;

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

  async run({ action, signal }: RolloutRequest): Promise<RolloutOutcome> {
    const spec = this.model.actions[action.code];
    if (!spec) throw new Error(`simulation model has no action named ${JSON.stringify(action.code)}`);
    const wallSec = spec.medianSec * Math.exp(spec.sigma * this.rng.normal());
    const failed = this.rng.next() < spec.failProb;
    const reward = failed ? this.model.failReward : spec.reward + spec.rewardStd * this.rng.normal();
    await this.clock.sleep(wallSec, signal);
    return {
      reward,
      wallSec,
      validSubmission: !failed,
      score: failed ? null : reward,
      validationMetric: failed ? null : reward,
      failureKind: failed ? "runtime_error" : "none",
      milestones: [],
      output: "",
    };
  }
}
