import { resolve, join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { storedConfig, train } from "../../rl/train.js";
import { RunStore } from "../../store/run-store.js";
import { TrainConfig, DEFAULT_SIM_MODEL } from "../../rl/train-config.js";
import { TrainProgress, medalLevel, type TaskInfo } from "../../rl/progress.js";
import { SimulationModel } from "../../sandbox/simulated.js";
import { dataDirOf } from "../options.js";
import { availableParallelism } from "node:os";
import { existsSync, readFileSync } from "node:fs";

interface TrainOptions {
  task?: string[];
  policy: string;
  rollouts?: string;
  minutes?: string;
  executors?: string;
  executor: string;
  simModel?: string;
  batch: string;
  maxStaleness: string;
  improveProb: string;
  durationAware: boolean;
  instrumentation: boolean;
  normalize: boolean;
  seed: string;
  lr?: string;
  loss: string;
  clip: string;
  epochs: string;
  timeout: string;
  validBonus: string;
  scoreFloor: string;
  quality: string;
  runDir?: string;
  resume?: string;
  json?: boolean;
}

function num(flag: string, value: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const n = Number(value);
  const bad = !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max);
  if (bad) throw new UserError(`${flag} must be ${opts.int ? "an integer" : "a number"}${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}${opts.max !== undefined ? ` ≤ ${opts.max}` : ""}, got '${value}'`, `e.g. ${flag} ${opts.min ?? 1}`);
  return n;
}

function readSimModel(path: string): SimulationModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(`--sim-model ${path}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`, `write a JSON file like ${JSON.stringify(DEFAULT_SIM_MODEL).slice(0, 120)}...`);
  }
  const parsed = SimulationModel.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`--sim-model ${path}: field ${issue.path.join(".") || "(root)"}: ${issue.message}`, "each action needs medianSec (> 0), sigma (≥ 0) and reward; optional rewardStd, failProb");
  }
  return parsed.data;
}

function configFrom(opts: TrainOptions): TrainConfig {
  const executor = opts.executor;
  if (!["sandbox", "unsandboxed", "simulate"].includes(executor)) throw new UserError(`--executor must be sandbox, unsandboxed or simulate, got '${executor}'`, "e.g. --executor simulate for scheduling experiments");
  const simulate = executor === "simulate";
  const policy = simulate ? "bandit" : opts.policy;
  if (policy !== "fragment" && policy !== "bandit") throw new UserError(`--policy must be fragment, got '${opts.policy}'`, "the built-in policy is `fragment`; real LMs come through an OpenAI-compatible server");
  if (!simulate && policy === "bandit") throw new UserError("--policy bandit only runs with --executor simulate", "drop --policy or add --executor simulate");
  if (opts.loss !== "ppo" && opts.loss !== "importance_sampling") throw new UserError(`--loss must be ppo or importance_sampling, got '${opts.loss}'`, "e.g. --loss ppo");
  const rollouts = opts.rollouts === undefined ? undefined : num("--rollouts", opts.rollouts, { int: true, min: 1 });
  // A bare run gets a wall-clock budget; simulated time is virtual, so there it counts simulated minutes.
  const minutes = opts.minutes === undefined ? (rollouts === undefined ? 10 : undefined) : num("--minutes", opts.minutes, { min: 0.01 });
  return TrainConfig.parse({
    tasks: opts.task ?? (simulate ? ["simulated"] : [...BUILTIN_TASK_IDS]),
    policy,
    executor,
    maxRollouts: rollouts,
    maxMinutes: minutes,
    executors: opts.executors === undefined ? (simulate ? 64 : availableParallelism()) : num("--executors", opts.executors, { int: true, min: 1 }),
    batchSize: num("--batch", opts.batch, { int: true, min: 1 }),
    maxStaleness: num("--max-staleness", opts.maxStaleness, { int: true, min: 0 }),
    improveProb: num("--improve-prob", opts.improveProb, { min: 0, max: 1 }),
    durationAware: opts.durationAware,
    instrumentation: opts.instrumentation,
    normalizeAdvantages: opts.normalize,
    seed: num("--seed", opts.seed, { int: true, min: 0 }),
    // The bandit's logits move one step per arm; the transformer's weights need far smaller Adam steps.
    learningRate: opts.lr === undefined ? (policy === "bandit" ? 0.3 : 0.01) : num("--lr", opts.lr, { min: 1e-9 }),
    loss: opts.loss,
    clip: num("--clip", opts.clip, { min: 1e-6 }),
    epochs: num("--epochs", opts.epochs, { int: true, min: 1 }),
    timeoutSec: num("--timeout", opts.timeout, { min: 1 }),
    validBonus: num("--valid-bonus", opts.validBonus),
    scoreFloor: opts.scoreFloor === "none" ? null : num("--score-floor", opts.scoreFloor),
    qualityWeight: num("--quality", opts.quality, { min: 0 }),
    simModel: simulate ? (opts.simModel ? readSimModel(opts.simModel) : DEFAULT_SIM_MODEL) : undefined,
  });
}

function readStoredConfig(runDir: string): TrainConfig {
  if (!existsSync(join(runDir, "run.sqlite"))) throw new UserError(`--resume ${runDir}: no run.sqlite there`, "pass the run directory a previous `mlerl train` printed");
  const store = new RunStore(runDir);
  try {
    const c = storedConfig(store);
    if (!c) throw new UserError(`--resume ${runDir}: the run has no stored config`, "start a new run instead");
    return c;
  } finally {
    store.close();
  }
}

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("train a policy with asynchronous RL: duration-aware updates, instrumentation partial credit, self-improvement prompts (Ctrl-C stops cleanly; --resume continues)")
    .option("--task <id...>", "tasks to train on (default: every built-in task)")
    .option("--policy <name>", "policy: fragment (the built-in code-fragment LM)", "fragment")
    .option("--rollouts <n>", "stop after this many finished rollouts")
    .option("--minutes <m>", "stop after this many minutes of training (default 10 when --rollouts is not given)")
    .option("--executors <k>", "concurrent executions (default: one per core; 64 when simulating)")
    .option("--executor <kind>", "sandbox | unsandboxed (no isolation; trusted code only) | simulate (durations and rewards from a model, virtual time)", "sandbox")
    .option("--sim-model <file>", "JSON model of the simulated actions (with --executor simulate)")
    .option("--batch <B>", "finished rollouts per update", "8")
    .option("--max-staleness <S>", "pace new rollouts so at most (S+1)·B are finished-untrained or in flight", "1")
    .option("--improve-prob <p>", "probability that a prompt asks to improve an earlier valid solution", "0.5")
    .option("--no-duration-aware", "do not weight updates by execution time (ablation)")
    .option("--no-instrumentation", "no milestone markers: a failure earns −10, a valid submission its score (ablation)")
    .option("--no-normalize", "do not divide advantages by the batch's reward std")
    .option("--seed <s>", "seed of the policy init and of sampling", "0")
    .option("--lr <rate>", "learning rate (default: 0.01 for the fragment LM's Adam, 0.3 for the simulated bandit)")
    .option("--loss <name>", "ppo | importance_sampling", "ppo")
    .option("--clip <eps>", "PPO clip ε", "0.2")
    .option("--epochs <n>", "optimizer steps per batch (PPO epochs over the same rollouts)", "4")
    .option("--timeout <seconds>", "per-program deadline", "45")
    .option("--valid-bonus <r>", "added to every valid submission's reward so valid work beats any partial credit (0 = the paper's rule)", "2")
    .option("--score-floor <s>", "lowest direction-corrected score a valid submission counts at, or `none` (the paper's rule)", "-1")
    .option("--quality <w>", "a valid submission earns valid-bonus + w × its position between the task's median (0) and gold (1) scores; 0 = the raw score", "4")
    .option("--run-dir <dir>", "where the run is stored (default: ./runs/train-<time>)")
    .option("--resume <dir>", "continue a stopped run exactly where it left off (its stored config wins over flags)")
    .option("--json", "print a JSON summary at the end")
    .action(async (opts: TrainOptions, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const resume = opts.resume !== undefined;
      const runDir = resolve(opts.resume ?? opts.runDir ?? join("runs", `train-${new Date().toISOString().replace(/[:.]/g, "-")}`));
      const config = resume ? undefined : configFrom(opts);
      const known = config ?? readStoredConfig(runDir);
      const infos = new Map<string, TaskInfo>();
      for (const id of known.tasks) {
        if (known.executor === "simulate") continue;
        const spec = getTask(id, dataDir);
        infos.set(id, { lowerIsBetter: spec.lowerIsBetter, ...(spec.thresholds ? { thresholds: spec.thresholds } : {}) });
      }
      const progress = new TrainProgress(infos, known.executors);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const ac = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        log("stopping: interrupting running programs, finishing the current update (Ctrl-C again to quit at once) ...");
        ac.abort();
      };
      process.on("SIGINT", onSigint);
      log(`run dir: ${runDir}`);
      const events = progress.events();
      const onUpdate = events.onUpdate;
      events.onUpdate = (u) => {
        onUpdate?.(u);
        log(progress.line());
      };
      const ticker = setInterval(() => log(progress.line()), 30_000);
      let result;
      try {
        result = await train({ runDir, config, dataDir, resume, signal: ac.signal, events, log });
      } finally {
        clearInterval(ticker);
        process.removeListener("SIGINT", onSigint);
      }
      for (const l of progress.bestLines()) log(l);
      const { summary, loop } = result;
      const out = {
        runDir,
        stoppedBy: loop.stoppedBy,
        rollouts: summary.rollouts,
        updates: summary.updates,
        policyVersion: loop.policyVersion,
        meanReward: { firstFifth: summary.first.meanReward, lastFifth: summary.last.meanReward },
        validShare: { firstFifth: summary.first.validShare, lastFifth: summary.last.validShare },
        meanDtSec: { firstFifth: summary.first.meanDt, lastFifth: summary.last.meanDt },
        executorUtilisation: loop.utilisation,
        meanKl: summary.meanKl,
        bestValidScore: Object.fromEntries(summary.perTask.map((t) => [t.taskId, { score: t.bestScore, medal: medalLevel(t.bestScore, infos.get(t.taskId)), validShare: t.validShare, rollouts: t.rollouts }])),
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else {
        process.stdout.write(
          [
            `run        ${runDir} (stopped by ${loop.stoppedBy}; resume with: mlerl train --resume ${runDir})`,
            `rollouts   ${summary.rollouts}, updates ${summary.updates}, policy version ${loop.policyVersion}, executor utilisation ${(loop.utilisation * 100).toFixed(1)}%`,
            `reward     first fifth ${summary.first.meanReward.toFixed(3)} → last fifth ${summary.last.meanReward.toFixed(3)}`,
            `valid      first fifth ${(summary.first.validShare * 100).toFixed(0)}% → last fifth ${(summary.last.validShare * 100).toFixed(0)}%`,
            `mean Δt    first fifth ${summary.first.meanDt.toFixed(2)} s → last fifth ${summary.last.meanDt.toFixed(2)} s`,
            ...summary.perTask.map((t) => `best       ${t.taskId}: ${t.bestScore ?? "-"} (${medalLevel(t.bestScore, infos.get(t.taskId))}), valid ${(t.validShare * 100).toFixed(0)}% of ${t.rollouts}`),
          ].join("\n") + "\n",
        );
      }
    });
}
