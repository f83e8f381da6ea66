import { mkdirSync } from "node:fs";
import type { Instrumenter } from "../instrument/index.js";
import type { RewardConfig } from "../reward/config.js";
import { qualityScaleOf } from "../reward/quality.js";
import type { RolloutOutcome, RolloutRequest, RolloutRunner } from "../core/rollout.js";
import type { TrainConfig } from "../core/config.js";
import type { ExecLimits, Executor } from "../sandbox/executor.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { runRollout } from "./run-rollout.js";

/**
 * How `mlerl train` rewards a valid submission (see docs/reward.md): a bonus and a score floor, and the per-task
 * quality scale's weight (0 = raw scores) and floor.
 */
export type RewardSettings = Pick<TrainConfig, "validBonus" | "scoreFloor" | "qualityWeight" | "qualityFloor">;

/** The RL loop's runner over the real environment: sandbox, instrumentation, grader, reward rule. */
export class EnvironmentRunner implements RolloutRunner {
  constructor(
    private readonly opts: {
      executor: Executor;
      instrumenter: Instrumenter | null;
      tasks: ReadonlyMap<string, { spec: TaskSpec; paths: TaskPaths }>;
      limits?: Partial<ExecLimits>;
      /** The training reward's settings; absent, the paper's rule. */
      reward?: RewardSettings;
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
    const s = this.opts.reward;
    if (!s) return {};
    const fixed = { validBonus: s.validBonus, scoreFloor: s.scoreFloor };
    // The quality scale is per task: it is built from each task's own median and gold thresholds.
    const quality = s.qualityWeight > 0 ? qualityScaleOf(spec, s.qualityWeight, s.qualityFloor) : null;
    return quality ? { ...fixed, quality } : fixed;
  }
}
