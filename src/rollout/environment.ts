/**
 * The one place an environment is opened: the tasks prepared and checked, the executor (sandbox, direct
 * execution, or a simulation on the run's clock), the instrumenter (AST, or the frozen LM checked against it)
 * and the runner that turns one action into a rollout record. Training, evaluation, the baselines and
 * `mlerl exec` all run programs through it.
 */
import type { Clock } from "../core/clock.js";
import { DEFAULT_SIM_MODEL, lmUrls, type EnvConfig, type PolicyConfig, type RewardSettings, type SplitConfig } from "../core/config.js";
import type { RolloutRecord, RolloutRunner } from "../core/rollout.js";
import type { PreparedTask } from "../core/task.js";
import { UserError } from "../errors.js";
import { AstInstrumenter } from "../instrument/ast.js";
import { CheckedInstrumenter } from "../instrument/fallback.js";
import { LmInstrumenter } from "../instrument/lm.js";
import type { Instrumenter } from "../instrument/types.js";
import { connectTrainer, sameServer } from "../trainer/connect.js";
import { createExecutor } from "../sandbox/index.js";
import type { ExecLimits, Executor } from "../sandbox/executor.js";
import type { RolloutRun } from "./run-rollout.js";
import { BUILTIN_TASK_IDS, getTask, prepareTasks, requirePrepared } from "../tasks/registry.js";
import { EnvironmentRunner } from "./runner.js";
import { SimulatedRunner } from "./simulated.js";

export interface Environment {
  tasks: ReadonlyMap<string, PreparedTask>;
  runner: RolloutRunner;
  /** Runs one program of a task outside the training loop; files go into outDir (created). */
  run(taskId: string, code: string, outDir: string, signal?: AbortSignal): Promise<RolloutRecord>;
  /** Like `run`, with the raw execution (its output streams) beside the record. */
  execute(taskId: string, code: string, outDir: string, signal?: AbortSignal): Promise<RolloutRun>;
  describe(): string;
  /** A remote executor's live state for progress lines (queue depth, per-worker utilisation). */
  status?(): string;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  dataDir: string;
  taskIds: readonly string[];
  env: EnvConfig;
  /** The training reward's settings; null, the paper's rule. */
  reward: RewardSettings | null;
  /** How each task's answers are split between reward and report; null, no split (every answer rewarded). */
  split: SplitConfig | null;
  /** The policy's servers, for the LM instrumenter. */
  policy?: PolicyConfig;
  /** Limits beyond the deadline (memory, threads, ...); default DEFAULT_LIMITS. */
  limits?: Partial<ExecLimits>;
  /** For simulations: the clock the runner sleeps on, and its seed. */
  clock?: Clock;
  seed?: number;
  log?: (line: string) => void;
}

/** Prepares the built-in tasks among taskIds (idempotent), checks the others, and opens executor + instrumenter. */
export async function openEnvironment(opts: EnvironmentOptions): Promise<Environment> {
  const log = opts.log ?? (() => {});
  if (opts.env.executor === "simulate") return simulatedEnvironment(opts);
  // The executor first: an unreachable queue is reported before any task is generated.
  const executor = await openExecutor(opts.env, log);
  const tasks = await prepareAll(opts.taskIds, opts.dataDir, log).catch(async (e: unknown) => {
    await executor.close?.();
    throw e;
  });
  const ast = opts.env.instrumentation ? new AstInstrumenter() : null;
  const instrumenter = ast && opts.env.instrumenter === "lm" ? await lmInstrumenter(opts.env, opts.policy, ast) : ast;
  const limits = { ...opts.limits, timeoutSec: opts.env.timeoutSec };
  const runner = new EnvironmentRunner({ executor, instrumenter, tasks, limits, reward: opts.reward, split: opts.split });
  const never = new AbortController().signal;
  const request = (taskId: string, code: string, outDir: string, signal?: AbortSignal) => ({
    taskId,
    action: { code, policyVersion: 0, payload: null },
    signal: signal ?? never,
    outDir,
  });
  return {
    tasks,
    runner,
    run: (taskId, code, outDir, signal) => runner.run(request(taskId, code, outDir, signal)),
    execute: (taskId, code, outDir, signal) => runner.execute(request(taskId, code, outDir, signal)),
    describe: () => executor.describe(),
    ...(executor.statusLine ? { status: () => executor.statusLine?.() ?? "" } : {}),
    close: async () => {
      await instrumenter?.close?.();
      await executor.close?.();
    },
  };
}

/** Every task checked, the built-in ones generated first when needed. */
export async function prepareAll(
  taskIds: readonly string[],
  dataDir: string,
  log: (line: string) => void,
): Promise<Map<string, PreparedTask>> {
  for (const id of taskIds) getTask(id, dataDir);
  const builtins = taskIds.filter((t) => BUILTIN_TASK_IDS.includes(t));
  if (builtins.length) await prepareTasks([...builtins], dataDir, log);
  const tasks = new Map<string, PreparedTask>();
  for (const id of taskIds) tasks.set(id, requirePrepared(id, dataDir));
  return tasks;
}

type OpenedExecutor = Executor & { describe(): string; statusLine?(): string; close?(): Promise<void> };

async function openExecutor(env: EnvConfig, log: (line: string) => void): Promise<OpenedExecutor> {
  switch (env.executor) {
    case "sandbox":
    case "unsandboxed":
      return createExecutor({ isolation: env.executor === "sandbox", warn: log });
    case "queue": {
      if (!env.redisUrl) throw new UserError("--executor queue needs --redis URL", "e.g. --executor queue --redis redis://127.0.0.1:6379");
      const { QueueExecutor, localIdentity, redisTarget } = await import("../queue/index.js");
      return QueueExecutor.open({ target: redisTarget(env.redisUrl), identity: localIdentity(env.workerSandbox ?? "root"), log });
    }
    case "simulate":
      throw new Error("a simulated environment has no executor");
  }
}

function simulatedEnvironment(opts: EnvironmentOptions): Environment {
  if (!opts.clock) throw new Error("a simulated environment needs the run's clock");
  const runner = new SimulatedRunner(opts.env.simModel ?? DEFAULT_SIM_MODEL, opts.clock, opts.seed ?? 0);
  return {
    tasks: new Map(),
    runner,
    run: () => Promise.reject(new Error("a simulated environment runs no programs")),
    execute: () => Promise.reject(new Error("a simulated environment runs no programs")),
    describe: () => "simulated executor (virtual time)",
    close: async () => {},
  };
}

/** The frozen LM instrumenter of a real-LM run, checked against the AST instrumenter (which it falls back to). */
async function lmInstrumenter(env: EnvConfig, policy: PolicyConfig | undefined, ast: AstInstrumenter): Promise<Instrumenter> {
  if (!policy || policy.kind !== "openai") throw new Error("the LM instrumenter needs the real policy's servers");
  const { baseUrl, trainerUrl } = lmUrls(policy);
  const model = env.instrumentModel ?? (sameServer(baseUrl, trainerUrl) ? "base" : (await connectTrainer(trainerUrl)).caps.model);
  const lm = new LmInstrumenter({ baseUrl, model, api: policy.api, retries: 2, timeoutMs: 300_000 });
  return new CheckedInstrumenter(lm, ast);
}
