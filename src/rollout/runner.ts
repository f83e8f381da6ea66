import { mkdirSync } from "node:fs";
import type { Instrumenter } from "../instrument/index.js";
import type { RewardConfig } from "../reward/config.js";
import { qualityScaleOf } from "../reward/quality.js";
import type { RolloutOutcome, RolloutRequest, RolloutRunner } from "../rl/ports.js";
import type { ExecLimits, Executor } from "../sandbox/executor.js";
import type { TaskPaths, TaskSpec } from "../tasks/spec.js";
import { runRollout } from "./run-rollout.js";

/** The RL loop's runner over the real environment: sandbox, instrumentation, grader, reward rule. */
export class EnvironmentRunner implements RolloutRunner {
  constructor(
    private readonly opts: {
      executor: Executor;
      instrumenter: Instrumenter | null;
      tasks: ReadonlyMap<string, { spec: TaskSpec; paths: TaskPaths }>;
      limits?: Partial<ExecLimits>;
      reward?: Partial<RewardConfig>;
      /** Weight of the per-task quality scale (see qualityScaleOf); undefined or 0 keeps raw scores. */
      qualityWeight?: number;
      /** Lowest point of that scale, in median-to-gold spans below the median (default −1). */
      qualityFloor?: number;
    },
  ) {}

  async run(req: RolloutRequest): Promise<RolloutOutcome> {
    const task = this.opts.tasks.get(req.taskId);
    if (!task) throw new Error(`runner has no task ${req.taskId}`);
    mkdirSync(req.outDir, { recursive: true });
    const r = await runRollout({
      executor: this.opts.executor,
      instrumenter: this.opts.instrumenter,
      spec: task.spec,
      paths: task.paths,
      code: req.action.code,
      outDir: req.outDir,
      limits: this.opts.limits,
      reward: this.rewardFor(task.spec),
      signal: req.signal,
    });
    return {
      reward: r.reward.reward,
      wallSec: r.reward.wallSec,
      validSubmission: r.reward.validSubmission,
      score: r.reward.score,
      validationMetric: r.reward.validationMetric,
      failureKind: r.reward.failureKind,
      milestones: r.reward.milestonesReached,
      output: r.agentOutput,
    };
  }

  private rewardFor(spec: TaskSpec): Partial<RewardConfig> {
    const weight = this.opts.qualityWeight ?? 0;
    const quality = weight > 0 ? qualityScaleOf(spec, weight, this.opts.qualityFloor) : null;
    return quality ? { ...this.opts.reward, quality } : { ...this.opts.reward };
  }
}
