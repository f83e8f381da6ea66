/**
 * `mlerl train` as a library: open the environment and the policy a run config names, run the asynchronous loop,
 * and summarise. A new run stores its config; a resumed one reads it back, so the same run continues whatever
 * the caller passes.
 */
import { existsSync, rmSync } from "node:fs";
import { RealClock, VirtualClock, type Clock } from "../core/clock.js";
import { methodOf, RunConfig, type RunConfigInput } from "../core/config.js";
import { UserError } from "../errors.js";
import { openPolicy } from "./open-policy.js";
import { preflightLm } from "./open-lm-policy.js";
import { runLoop, type LoopEvents, type LoopSummary } from "../rl/loop.js";
import { summarizeRun, type RunSummary } from "../rl/summary.js";
import { openEnvironment, type Environment } from "../rollout/environment.js";
import { storedRunConfig, storeMachine, storeRunConfig } from "../store/run-config.js";
import { RunStore } from "../store/run-store.js";
import { markWriter } from "../store/run-writer.js";

export interface TrainResult {
  runDir: string;
  loop: LoopSummary;
  summary: RunSummary;
  config: RunConfig;
}

export interface TrainOptions {
  runDir: string;
  /** A new run's config (any subset; the schema fills the rest). Ignored when resuming. */
  config?: RunConfigInput;
  dataDir: string;
  resume: boolean;
  signal?: AbortSignal;
  events?: LoopEvents;
  log?: (line: string) => void;
  /** Called once the environment is open (a progress display reads a queue's status from it). */
  onEnvironment?: (env: Environment) => void;
}

/** Starts or resumes a training run in `runDir`. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  // A directory this call creates is removed again if the environment cannot be opened (an unreachable Redis, a
  // missing task), so a failed start leaves nothing behind.
  const created = !existsSync(opts.runDir);
  const store = RunStore.open(opts.runDir);
  let opened = false;
  try {
    const existing = storedRunConfig(store);
    if (opts.resume && !existing)
      throw new UserError(
        `${opts.runDir} is not a training run (no run.sqlite with a config)`,
        "pass the directory a previous `mlerl train` printed",
      );
    if (!opts.resume && existing)
      throw new UserError(
        `${opts.runDir} already holds a run`,
        `continue it with \`mlerl train --resume ${opts.runDir}\`, or pick a new --run-dir`,
      );
    const config = existing ?? RunConfig.parse(opts.config ?? {});
    const simulate = config.env.executor === "simulate";
    const clock: Clock = simulate ? new VirtualClock() : new RealClock();
    // Tasks, the sandbox and a real LM's servers are checked before anything is stored, so a typo leaves no
    // half-made run behind.
    const env = await openEnvironment({
      dataDir: opts.dataDir,
      taskIds: simulate ? [] : config.tasks,
      env: config.env,
      reward: config.reward,
      split: config.split,
      policy: config.policy,
      clock,
      seed: config.seed + store.rollouts().length,
      log,
    });
    opened = true;
    opts.onEnvironment?.(env);
    const spent = elapsedBefore(store);
    // Readers (the dashboard) tell a live run from a stopped one by this process.
    markWriter(store);
    let loop: LoopSummary;
    try {
      loop = await trainIn(env, clock, store, config, existing !== undefined, opts, spent);
    } finally {
      await env.close();
    }
    store.setMeta("elapsed_sec", String(spent + loop.elapsedSec));
    if (env.status) store.setMeta("executor_status", env.status());
    // A run stopped by its budget is complete; one stopped by a signal is resumable (experiments read this).
    store.setMeta("stopped_by", loop.stoppedBy);
    const summary = summarizeRun(store, (id) => env.tasks.get(id)?.spec.lowerIsBetter ?? false);
    return { runDir: opts.runDir, loop, summary, config };
  } finally {
    store.close();
    if (created && !opened) rmSync(opts.runDir, { recursive: true, force: true });
  }
}

async function trainIn(
  env: Environment,
  clock: Clock,
  store: RunStore,
  config: RunConfig,
  resumed: boolean,
  opts: TrainOptions,
  spent: number,
): Promise<LoopSummary> {
  const log = opts.log ?? (() => {});
  const simulate = config.env.executor === "simulate";
  if (config.policy.kind === "openai") await preflightLm(config.policy, log);
  if (!resumed) {
    storeRunConfig(store, config);
    storeMachine(store);
    store.setMeta("method", methodOf(config));
  }
  const latest = store.latestUpdate();
  const { policy, close } = await openPolicy({
    config,
    tasks: env.tasks,
    checkpoint: latest?.checkpoint ?? null,
    latestVersion: latest?.version ?? 0,
    log,
  });
  const done = store.countFinished();
  if (done > 0) log(`resuming ${opts.runDir}: ${done} rollouts finished, policy version ${policy.version()}`);
  const work = runLoop(
    { policy, runner: env.runner, store, clock },
    {
      taskIds: config.tasks,
      loop: config.loop,
      seed: config.seed,
      writePrograms: !simulate,
      clockOffsetSec: runClockAt(store),
      ...(config.budget.rollouts !== undefined ? { maxRollouts: config.budget.rollouts } : {}),
      ...(config.budget.minutes !== undefined ? { maxSeconds: Math.max(0, config.budget.minutes * 60 - spent) } : {}),
    },
    opts.signal,
    withExecutorStatus(opts.events, env, store),
  );
  let loop: LoopSummary;
  try {
    loop = clock instanceof VirtualClock ? await clock.drive(work) : await work;
  } finally {
    close();
  }
  return loop;
}

/** A queue's depth and per-worker utilisation go into the run store at every update, beside the records' workers. */
function withExecutorStatus(events: LoopEvents | undefined, env: Environment, store: RunStore): LoopEvents | undefined {
  if (!env.status) return events;
  return {
    ...events,
    onUpdate: (u) => {
      events?.onUpdate?.(u);
      store.setMeta("executor_status", env.status?.() ?? "");
    },
  };
}

/**
 * Where the run's clock stands when a session starts: after a clean stop, the time recorded then; after a kill -9,
 * which recorded nothing, at least the last time stored with a rollout, so stored times never run backwards.
 */
function runClockAt(store: RunStore): number {
  let t = elapsedBefore(store);
  for (const r of store.rollouts()) t = Math.max(t, r.startedAt, r.finishedAt ?? 0);
  return t;
}

/** Seconds of training already spent by earlier sessions of this run (a wall-clock budget spans resumes). */
function elapsedBefore(store: RunStore): number {
  return Number(store.getMeta("elapsed_sec") ?? 0);
}
