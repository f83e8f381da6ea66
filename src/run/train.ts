import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { AstInstrumenter } from "../instrument/index.js";
import { FragmentPolicy, FragmentSampler } from "../policy/fragment-policy.js";
import { EnvironmentRunner } from "../rollout/runner.js";
import { createExecutor } from "../sandbox/index.js";
import { SimulatedRunner } from "../rollout/simulated.js";
import { RunStore } from "../store/run-store.js";
import { BUILTIN_TASK_IDS, getTask, prepareTasks, requirePrepared } from "../tasks/registry.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { InProcessTrainer } from "../trainer/in-process.js";
import { BanditPolicy } from "../policy/bandit.js";
import { RealClock, VirtualClock, type Clock } from "../core/clock.js";
import { DEFAULT_LOOP, runLoop, type LoopEvents, type LoopSummary } from "../rl/loop.js";
import { SamplerTrainerPolicy } from "../policy/adapter.js";
import type { PolicyPort, RolloutRunner } from "../core/rollout.js";
import { summarizeRun, type RunSummary } from "../rl/summary.js";
import { DEFAULT_SIM_MODEL, samplersOf, TrainConfig } from "../core/config.js";
import { methodOf } from "../rl/method.js";
import { lmInstrumenterFor, openLmPolicy, preflightLm } from "../policy/open-lm.js";

export interface TrainResult {
  runDir: string;
  loop: LoopSummary;
  summary: RunSummary;
  config: TrainConfig;
}

/** Reads the config a run was started with, or undefined for a new run dir. */
export function storedConfig(store: RunStore): TrainConfig | undefined {
  const raw = store.getMeta("config");
  if (raw === undefined) return undefined;
  const parsed = TrainConfig.safeParse(JSON.parse(raw));
  if (!parsed.success)
    throw new UserError(
      `${store.runDir}/run.sqlite holds a config this mlerl cannot read (${parsed.error.issues[0]?.message})`,
      "start a new run, or resume it with the mlerl version that created it",
    );
  return parsed.data;
}

async function openPolicy(
  config: TrainConfig,
  store: RunStore,
  tasks: Map<string, { spec: TaskSpec; paths: TaskPaths }>,
  log: (line: string) => void,
): Promise<{ policy: PolicyPort; close(): void }> {
  const latest = store.latestUpdate();
  if (config.policy === "openai") {
    const checkpoint = latest?.checkpoint && existsSync(latest.checkpoint) ? latest.checkpoint : undefined;
    return openLmPolicy({ config, tasks, checkpoint, latestVersion: latest?.version ?? 0, log });
  }
  if (config.policy === "bandit") {
    const model = config.simModel ?? DEFAULT_SIM_MODEL;
    const bandit = new BanditPolicy(Object.keys(model.actions), { lr: config.learningRate, clip: config.clip, seed: config.seed });
    if (latest?.checkpoint && existsSync(join(latest.checkpoint, "bandit.json"))) {
      bandit.restore(JSON.parse(readFileSync(join(latest.checkpoint, "bandit.json"), "utf8")) as { version: number; logits: number[] });
    }
    return { policy: bandit, close() {} };
  }
  const fragment =
    latest?.checkpoint && existsSync(latest.checkpoint)
      ? (await FragmentPolicy.load(latest.checkpoint)).policy
      : await FragmentPolicy.create({ seed: config.seed });
  const trainer = new InProcessTrainer(fragment);
  if (latest?.checkpoint && existsSync(latest.checkpoint)) await trainer.load(latest.checkpoint);
  const specs = new Map([...tasks].map(([id, t]) => [id, t.spec]));
  const policy = new SamplerTrainerPolicy(new FragmentSampler(fragment), trainer, specs, {
    loss: { name: config.loss, clipLow: config.clip, clipHigh: config.clip },
    adam: { learningRate: config.learningRate, maxGradNorm: 1 },
    seed: config.seed + (latest?.version ?? 0) * 7919,
    epochs: config.epochs,
    explorationBonus: config.explorationBonus,
  });
  return { policy, close: () => fragment.dispose() };
}

/**
 * Starts or resumes a training run in `runDir`. A new run stores its config; a resumed one reads it back, so
 * the same run continues whatever flags the caller passes.
 */
export async function train(opts: {
  runDir: string;
  config?: TrainConfig;
  dataDir: string;
  resume: boolean;
  signal?: AbortSignal;
  events?: LoopEvents;
  log?: (line: string) => void;
}): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  const store = new RunStore(opts.runDir);
  try {
    const existing = storedConfig(store);
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
    const config = existing ?? TrainConfig.parse(opts.config);
    const simulate = config.executor === "simulate";
    const tasks = new Map<string, { spec: TaskSpec; paths: TaskPaths }>();
    if (!simulate) {
      for (const id of config.tasks) getTask(id, opts.dataDir);
      const builtins = config.tasks.filter((t) => BUILTIN_TASK_IDS.includes(t));
      if (builtins.length) await prepareTasks(builtins, opts.dataDir, log);
      for (const id of config.tasks) tasks.set(id, requirePrepared(id, opts.dataDir));
    }
    // A real LM's servers are checked before anything is stored, like the tasks.
    if (config.policy === "openai") await preflightLm(config, log);
    // Stored only once the tasks are known to be usable, so a typo leaves no half-made run behind.
    if (!existing) {
      store.setMeta("config", JSON.stringify(config));
      store.setMeta("method", methodOf(config));
    }
    const clock: Clock = simulate ? new VirtualClock() : new RealClock();
    let runner: RolloutRunner;
    let closeRunner = async () => {};
    if (simulate) {
      runner = new SimulatedRunner(config.simModel ?? DEFAULT_SIM_MODEL, clock, config.seed + store.rollouts().length);
    } else {
      const executor = createExecutor({ isolation: config.executor === "sandbox", warn: log });
      const ast = config.instrumentation ? new AstInstrumenter() : null;
      const instrumenter = ast && config.instrumenter === "lm" ? await lmInstrumenterFor(config, ast) : ast;
      runner = new EnvironmentRunner({ executor, instrumenter, tasks, limits: { timeoutSec: config.timeoutSec }, reward: config });
      closeRunner = async () => instrumenter?.close?.();
    }
    const { policy, close } = await openPolicy(config, store, tasks, log);
    const done = store.countFinished();
    const loopConfig = {
      ...DEFAULT_LOOP,
      taskIds: config.tasks,
      executors: config.executors,
      samplers: samplersOf(config),
      batchSize: config.batchSize,
      maxStaleness: config.maxStaleness,
      improveProb: config.improveProb,
      durationAware: config.durationAware,
      advantage: { ...DEFAULT_LOOP.advantage, normalize: config.normalizeAdvantages },
      seed: config.seed,
      writePrograms: !simulate,
      clockOffsetSec: runClockAt(store),
      ...(config.maxRollouts !== undefined ? { maxRollouts: config.maxRollouts } : {}),
      ...(config.maxMinutes !== undefined ? { maxSeconds: Math.max(0, config.maxMinutes * 60 - elapsedBefore(store)) } : {}),
    };
    if (done > 0) log(`resuming ${opts.runDir}: ${done} rollouts finished, policy version ${policy.version()}`);
    const work = runLoop({ policy, runner, store, clock }, loopConfig, opts.signal, opts.events);
    let loop: LoopSummary;
    try {
      loop = clock instanceof VirtualClock ? await clock.drive(work) : await work;
    } finally {
      await closeRunner();
      close();
    }
    store.setMeta("elapsed_sec", String(elapsedBefore(store) + loop.elapsedSec));
    // A run stopped by its budget is complete; one stopped by a signal is resumable (experiments read this).
    store.setMeta("stopped_by", loop.stoppedBy);
    const summary = summarizeRun(store, (id) => tasks.get(id)?.spec.lowerIsBetter ?? false);
    return { runDir: opts.runDir, loop, summary, config };
  } finally {
    store.close();
  }
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
