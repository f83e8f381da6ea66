import { mkdirSync } from "node:fs";
import type { RewardSettings, SplitConfig } from "../core/config.js";
import type { RolloutRecord, RolloutRequest, RolloutRunner } from "../core/rollout.js";
import type { PreparedTask } from "../core/task.js";
import type { Instrumenter } from "../instrument/index.js";
import { rewardConfigFor } from "../reward/index.js";
import type { ExecLimits, Executor } from "../sandbox/executor.js";
import { runRollout, type RolloutRun } from "./run-rollout.js";

/** A RolloutRunner over the real environment: sandbox, instrumentation, grader, reward rule. */
export class EnvironmentRunner implements RolloutRunner {
  constructor(
    private readonly opts: {
      executor: Executor;
      instrumenter: Instrumenter | null;
      tasks: ReadonlyMap<string, PreparedTask>;
      limits?: Partial<ExecLimits>;
      /** The training reward's settings; null, the paper's rule. */
      reward: RewardSettings | null;
      /** How each task's answers are split; null, every answer is scored and rewarded (mlerl 0.1). */
      split: SplitConfig | null;
    },
  ) {}

  async run(req: RolloutRequest): Promise<RolloutRecord> {
    return (await this.execute(req)).record;
  }

  /** Like `run`, with the raw execution (its output streams) beside the record. */
  async execute(req: RolloutRequest): Promise<RolloutRun> {
    const task = this.opts.tasks.get(req.taskId);
    if (!task) throw new Error(`runner has no task ${req.taskId}`);
    mkdirSync(req.outDir, { recursive: true });
    return runRollout({
      executor: this.opts.executor,
      instrumenter: this.opts.instrumenter,
      spec: task.spec,
      paths: task.paths,
      code: req.action.code,
      outDir: req.outDir,
      limits: this.opts.limits,
      reward: rewardConfigFor(task.spec, this.opts.reward),
      split: this.opts.split,
      signal: req.signal,
    });
  }
}
