/**
 * The real environment evaluation and the baselines run programs in: prepared tasks, the sandbox (or, when asked,
 * direct execution), the AST instrumenter and the reward rule, behind the RL loop's EnvironmentRunner.
 *
 * The instrumenter is always on here, whatever a training run used: it is how the agent-visible validation
 * metric a program prints is read, and selection depends on it.
 */
import { AstInstrumenter } from "../instrument/index.js";
import type { RolloutOutcome } from "../core/rollout.js";
import { TrainConfig } from "../core/config.js";
import { EnvironmentRunner, type RewardSettings } from "./runner.js";
import { createExecutor } from "../sandbox/index.js";
import { BUILTIN_TASK_IDS, getTask, prepareTasks, requirePrepared } from "../tasks/registry.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";

/**
 * Reward rule and deadline of `mlerl train`'s defaults, for evaluations and baselines without a run config, so
 * their rewards are on the training scale.
 */
export const TRAINING_DEFAULTS = {
  validBonus: TrainConfig.shape.validBonus.parse(undefined),
  scoreFloor: TrainConfig.shape.scoreFloor.parse(undefined),
  qualityWeight: TrainConfig.shape.qualityWeight.parse(undefined),
  qualityFloor: TrainConfig.shape.qualityFloor.parse(undefined),
  timeoutSec: 45,
} as const;

export type ExecutorKind = "sandbox" | "unsandboxed";

export interface EnvironmentOptions {
  dataDir: string;
  taskIds: readonly string[];
  executor: ExecutorKind;
  /** Per-program deadline in seconds. */
  timeoutSec: number;
  /** The training reward's settings; absent, the paper's rule. */
  reward?: RewardSettings;
  log?: (line: string) => void;
}

export interface Environment {
  tasks: ReadonlyMap<string, { spec: TaskSpec; paths: TaskPaths }>;
  /** Runs one program of a task; files go into outDir (created). */
  run(taskId: string, code: string, outDir: string, signal?: AbortSignal): Promise<RolloutOutcome>;
  describe(): string;
  close(): Promise<void>;
}

/** Prepares the built-in tasks among taskIds (idempotent), checks the others, and opens executor + instrumenter. */
export async function openEnvironment(opts: EnvironmentOptions): Promise<Environment> {
  const log = opts.log ?? (() => {});
  for (const id of opts.taskIds) getTask(id, opts.dataDir);
  const builtins = opts.taskIds.filter((t) => BUILTIN_TASK_IDS.includes(t));
  if (builtins.length) await prepareTasks([...builtins], opts.dataDir, log);
  const tasks = new Map<string, { spec: TaskSpec; paths: TaskPaths }>();
  for (const id of opts.taskIds) tasks.set(id, requirePrepared(id, opts.dataDir));
  const executor = createExecutor({ isolation: opts.executor === "sandbox", warn: log });
  const instrumenter = new AstInstrumenter();
  const runner = new EnvironmentRunner({
    executor,
    instrumenter,
    tasks,
    limits: { timeoutSec: opts.timeoutSec },
    ...(opts.reward ? { reward: opts.reward } : {}),
  });
  const never = new AbortController().signal;
  return {
    tasks,
    run: (taskId, code, outDir, signal) =>
      runner.run({ taskId, action: { code, policyVersion: 0, payload: null }, signal: signal ?? never, outDir }),
    describe: () => executor.describe(),
    close: async () => instrumenter.close(),
  };
}

/** The agent-visible feedback the training loop passes on with an improve prompt (never the test score). */
export function feedbackOf(o: RolloutOutcome): Record<string, string | number | null> {
  return { failureKind: o.failureKind, milestones: o.milestones.length, validationMetric: o.validationMetric };
}
