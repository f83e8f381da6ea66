import { resolve, join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { storedConfig, train } from "../../run/train.js";
import { RunStore } from "../../store/run-store.js";
import { TrainConfig, DEFAULT_SIM_MODEL } from "../../core/config.js";
import { TrainProgress, medalLevel, type TaskInfo } from "../../rl/progress.js";
import { SimulationModel } from "../../rollout/simulated.js";
import { dataDirOf, defaultRunDir, interruptOnSigint } from "../options.js";
import { apiRoot } from "../../llm/openai-client.js";
import { trainerRoot } from "../../trainer/http.js";
import { availableParallelism } from "node:os";
import { existsSync, readFileSync } from "node:fs";

interface TrainOptions {
  task?: string[];
  policy: string;
  rollouts?: string;
  minutes?: string;
  executors?: string;
  samplers?: string;
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
  qualityFloor: string;
  explore: string;
  baseUrl?: string;
  model?: string;
  api?: string;
  maxTokens?: string;
  trainer?: string;
  trainerUrl?: string;
  instrumenter?: string;
  instrumentModel?: string;
  runDir?: string;
  resume?: string;
  json?: boolean;
}

function num(flag: string, value: string, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const n = Number(value);
  const bad =
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max);
  if (bad)
    throw new UserError(
      `${flag} must be ${opts.int ? "an integer" : "a number"}${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}${opts.max !== undefined ? ` ≤ ${opts.max}` : ""}, got '${value}'`,
      `e.g. ${flag} ${opts.min ?? opts.max ?? 1}`,
    );
  return n;
}

function readSimModel(path: string): SimulationModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(
      `--sim-model ${path}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`,
      `write a JSON file like ${JSON.stringify(DEFAULT_SIM_MODEL).slice(0, 120)}...`,
    );
  }
  const parsed = SimulationModel.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(
      `--sim-model ${path}: field ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      "each action needs medianSec (> 0), sigma (≥ 0) and reward; optional rewardStd, failProb",
    );
  }
  return parsed.data;
}

function configFrom(opts: TrainOptions): TrainConfig {
  const executor = opts.executor;
  if (!["sandbox", "unsandboxed", "simulate"].includes(executor))
    throw new UserError(
      `--executor must be sandbox, unsandboxed or simulate, got '${executor}'`,
      "e.g. --executor simulate for scheduling experiments",
    );
  const simulate = executor === "simulate";
  const policy = simulate ? "bandit" : opts.policy;
  if (policy !== "fragment" && policy !== "bandit" && policy !== "openai")
    throw new UserError(
      `--policy must be fragment or openai, got '${opts.policy}'`,
      "the built-in policy is `fragment`; real LMs come through an OpenAI-compatible server with --policy openai",
    );
  const lm = lmOptions(opts, policy, simulate);
  if (!simulate && policy === "bandit")
    throw new UserError("--policy bandit only runs with --executor simulate", "drop --policy or add --executor simulate");
  if (opts.loss !== "ppo" && opts.loss !== "importance_sampling")
    throw new UserError(`--loss must be ppo or importance_sampling, got '${opts.loss}'`, "e.g. --loss ppo");
  const rollouts = opts.rollouts === undefined ? undefined : num("--rollouts", opts.rollouts, { int: true, min: 1 });
  // A bare run gets a wall-clock budget; simulated time is virtual, so there it counts simulated minutes.
  const minutes = opts.minutes === undefined ? (rollouts === undefined ? 10 : undefined) : num("--minutes", opts.minutes, { min: 0.01 });
  return TrainConfig.parse({
    tasks: opts.task ?? (simulate ? ["simulated"] : [...BUILTIN_TASK_IDS]),
    policy,
    executor,
    maxRollouts: rollouts,
    maxMinutes: minutes,
    executors:
      opts.executors === undefined ? (simulate ? 64 : availableParallelism()) : num("--executors", opts.executors, { int: true, min: 1 }),
    ...(opts.samplers !== undefined ? { samplers: num("--samplers", opts.samplers, { int: true, min: 1 }) } : {}),
    batchSize: num("--batch", opts.batch, { int: true, min: 1 }),
    maxStaleness: num("--max-staleness", opts.maxStaleness, { int: true, min: 0 }),
    improveProb: num("--improve-prob", opts.improveProb, { min: 0, max: 1 }),
    durationAware: opts.durationAware,
    instrumentation: opts.instrumentation,
    normalizeAdvantages: opts.normalize,
    seed: num("--seed", opts.seed, { int: true, min: 0 }),
    // The bandit's logits move one step per arm; the transformer's weights need far smaller Adam steps.
    learningRate:
      opts.lr === undefined ? (policy === "bandit" ? 0.3 : policy === "openai" ? 5e-5 : 0.01) : num("--lr", opts.lr, { min: 1e-9 }),
    loss: opts.loss,
    clip: num("--clip", opts.clip, { min: 1e-6 }),
    epochs: num("--epochs", opts.epochs, { int: true, min: 1 }),
    timeoutSec: num("--timeout", opts.timeout, { min: 1 }),
    validBonus: num("--valid-bonus", opts.validBonus),
    scoreFloor: opts.scoreFloor === "none" ? null : num("--score-floor", opts.scoreFloor),
    qualityWeight: num("--quality", opts.quality, { min: 0 }),
    qualityFloor: num("--quality-floor", opts.qualityFloor, { max: 0 }),
    explorationBonus: num("--explore", opts.explore, { min: 0 }),
    simModel: simulate ? (opts.simModel ? readSimModel(opts.simModel) : DEFAULT_SIM_MODEL) : undefined,
    ...lm,
  });
}

/** The real-LM flags, checked for consistency with the policy (see README "Real language models"). */
function lmOptions(opts: TrainOptions, policy: string, simulate: boolean): Partial<TrainConfig> {
  const trainer = opts.trainer ?? (policy === "openai" ? "http" : "inprocess");
  if (trainer !== "inprocess" && trainer !== "http")
    throw new UserError(
      `--trainer must be inprocess or http, got '${opts.trainer}'`,
      "e.g. --trainer http --trainer-url http://127.0.0.1:8600",
    );
  const instrumenter = opts.instrumenter ?? "ast";
  if (instrumenter !== "ast" && instrumenter !== "lm")
    throw new UserError(
      `--instrumenter must be ast or lm, got '${opts.instrumenter}'`,
      "e.g. --instrumenter lm (the frozen base model, checked against the AST instrumenter)",
    );
  if (policy !== "openai") {
    const lmOnly = (["baseUrl", "model", "api", "maxTokens", "trainerUrl", "instrumentModel"] as const).find((k) => opts[k] !== undefined);
    if (lmOnly)
      throw new UserError(
        `--${lmOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} only applies to --policy openai`,
        "add --policy openai --trainer http to train a real LM, or drop the flag",
      );
    if (trainer === "http")
      throw new UserError(
        "--trainer http trains a real LM and needs --policy openai",
        "add --policy openai --base-url URL, or drop --trainer for the built-in policy",
      );
    if (instrumenter === "lm")
      throw new UserError(
        "--instrumenter lm needs --policy openai",
        "the frozen LM is the real policy's base model; the built-in policy uses the AST instrumenter",
      );
    return { trainer: "inprocess", instrumenter: "ast" };
  }
  if (simulate)
    throw new UserError(
      "--policy openai does not run with --executor simulate",
      "the simulated executor has its own policy; drop --executor simulate to run programs in the sandbox",
    );
  if (trainer !== "http")
    throw new UserError(
      "--policy openai needs --trainer http",
      "the in-process trainer only trains the built-in fragment LM; start a trainer server (`mlerl trainer serve`) and pass --trainer http --trainer-url URL",
    );
  if (!opts.baseUrl)
    throw new UserError(
      "--policy openai needs --base-url",
      "pass the OpenAI-compatible server to sample from: the reference trainer itself (e.g. --base-url http://127.0.0.1:8600) or a vLLM server it publishes adapters to",
    );
  if (!opts.trainerUrl)
    throw new UserError(
      "--trainer http needs --trainer-url",
      "pass the trainer server's address, e.g. --trainer-url http://127.0.0.1:8600",
    );
  apiRoot(opts.baseUrl);
  trainerRoot(opts.trainerUrl);
  if (opts.api !== undefined && opts.api !== "chat" && opts.api !== "completions")
    throw new UserError(
      `--api must be chat or completions, got '${opts.api}'`,
      "chat lets the server apply the model's chat template; completions sends the prompt as plain text",
    );
  if (instrumenter === "lm" && !opts.instrumentation)
    throw new UserError("--instrumenter lm conflicts with --no-instrumentation", "drop one of them");
  return {
    baseUrl: opts.baseUrl,
    trainerUrl: opts.trainerUrl,
    trainer: "http",
    instrumenter,
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.api !== undefined ? { api: opts.api } : {}),
    ...(opts.maxTokens !== undefined ? { maxTokens: num("--max-tokens", opts.maxTokens, { int: true, min: 1 }) } : {}),
    ...(opts.instrumentModel !== undefined ? { instrumentModel: opts.instrumentModel } : {}),
  };
}

function readStoredConfig(runDir: string): TrainConfig {
  if (!existsSync(join(runDir, "run.sqlite")))
    throw new UserError(`--resume ${runDir}: no run.sqlite there`, "pass the run directory a previous `mlerl train` printed");
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
    .description(
      "train a policy with asynchronous RL: duration-aware updates, instrumentation partial credit, self-improvement prompts (Ctrl-C stops cleanly; --resume continues)",
    )
    .option("--task <id...>", "tasks to train on (default: every built-in task)")
    .option(
      "--policy <name>",
      "policy: fragment (the built-in code-fragment LM) | openai (a real LM behind an OpenAI-compatible server, trained by a trainer server)",
      "fragment",
    )
    .option(
      "--base-url <url>",
      "openai: the server to sample from: the reference trainer itself, or the vLLM server it publishes adapters to",
    )
    .option(
      "--model <name>",
      "openai: the policy's model name there (default `policy`: the reference trainer's current adapter; on vLLM the adapter prefix, asked for as <name>-v<version>)",
    )
    .option("--api <kind>", "openai: chat (the server applies the chat template; default) | completions (plain-text prompt)")
    .option("--max-tokens <n>", "openai: longest answer, tokens (default 2048)")
    .option(
      "--trainer <kind>",
      "inprocess (the fragment LM) | http (a trainer server speaking docs/trainer-protocol.md; default with --policy openai)",
    )
    .option("--trainer-url <url>", "the trainer server's address, e.g. http://127.0.0.1:8600 (see `mlerl trainer serve`)")
    .option(
      "--instrumenter <kind>",
      "ast (default) | lm: the frozen base model inserts the markers, accepted only if removing them gives the program back, else AST (the rollout's reward.json says why)",
    )
    .option(
      "--instrument-model <name>",
      "lm instrumenter: the frozen model's name (default `base` on the reference trainer, its base model id on vLLM)",
    )
    .option("--rollouts <n>", "stop after this many finished rollouts")
    .option("--minutes <m>", "stop after this many minutes of training (default 10 when --rollouts is not given)")
    .option("--executors <k>", "concurrent executions (default: one per core; 64 when simulating)")
    .option(
      "--samplers <n>",
      "concurrent sample requests; generation runs ahead of execution by n − 1 programs (default: 1 for the built-in policy, one per executor for --policy openai)",
    )
    .option(
      "--executor <kind>",
      "sandbox | unsandboxed (no isolation; trusted code only) | simulate (durations and rewards from a model, virtual time)",
      "sandbox",
    )
    .option("--sim-model <file>", "JSON model of the simulated actions (with --executor simulate)")
    .option("--batch <B>", "finished rollouts per update", "8")
    .option("--max-staleness <S>", "pace new rollouts so at most (S+1)·B are finished-untrained or in flight", "1")
    .option("--improve-prob <p>", "probability that a prompt asks to improve an earlier valid solution", "0.5")
    .option("--no-duration-aware", "do not weight updates by execution time (ablation)")
    .option("--no-instrumentation", "no milestone markers: a failure earns −10, a valid submission its score (ablation)")
    .option("--no-normalize", "do not divide advantages by the batch's reward std")
    .option("--seed <s>", "seed of the policy init and of sampling", "0")
    .option(
      "--lr <rate>",
      "learning rate (default: 0.01 for the fragment LM's Adam, 5e-5 for a real LM's LoRA adapter, 0.3 for the simulated bandit)",
    )
    .option("--loss <name>", "ppo | importance_sampling", "ppo")
    .option("--clip <eps>", "PPO clip ε", "0.2")
    .option("--epochs <n>", "optimizer steps per batch (PPO epochs over the same rollouts)", "4")
    .option("--timeout <seconds>", "per-program deadline", "45")
    .option(
      "--valid-bonus <r>",
      "added to every valid submission's reward so valid work beats any partial credit (0 = the paper's rule)",
      "5",
    )
    .option("--score-floor <s>", "lowest direction-corrected score a valid submission counts at, or `none` (the paper's rule)", "-1")
    .option(
      "--quality <w>",
      "a valid submission earns valid-bonus + w × its position between the task's median (0) and gold (1) scores; 0 = the raw score",
      "4",
    )
    .option(
      "--quality-floor <q>",
      "lowest point of that scale, in median-to-gold spans below the median (≤ 0): how far below the median a valid submission's quality still counts",
      "-1",
    )
    .option(
      "--explore <beta>",
      "per-token exploration bonus added to each token's advantage: β × (its surprisal − the batch mean), weighted by the rollout's Δt / mean Δt like the advantage; 0 = none",
      "0.05",
    )
    .option("--run-dir <dir>", "where the run is stored (default: ./runs/train-<time>)")
    .option("--resume <dir>", "continue a stopped run exactly where it left off (its stored config wins over flags)")
    .option("--json", "print a JSON summary at the end")
    .action(async (opts: TrainOptions, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const resume = opts.resume !== undefined;
      const given = opts.resume ?? opts.runDir;
      const runDir = given !== undefined ? resolve(given) : defaultRunDir("train");
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
      const stop = interruptOnSigint(() =>
        log("stopping: interrupting running programs, finishing the current update (Ctrl-C again to quit at once) ..."),
      );
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
        result = await train({ runDir, config, dataDir, resume, signal: stop.signal, events, log });
      } finally {
        clearInterval(ticker);
        stop.dispose();
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
        bestValidScore: Object.fromEntries(
          summary.perTask.map((t) => [
            t.taskId,
            { score: t.bestScore, medal: medalLevel(t.bestScore, infos.get(t.taskId)), validShare: t.validShare, rollouts: t.rollouts },
          ]),
        ),
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
            ...summary.perTask.map(
              (t) =>
                `best       ${t.taskId}: ${t.bestScore ?? "-"} (${medalLevel(t.bestScore, infos.get(t.taskId))}), valid ${(t.validShare * 100).toFixed(0)}% of ${t.rollouts}`,
            ),
          ].join("\n") + "\n",
        );
      }
    });
}
