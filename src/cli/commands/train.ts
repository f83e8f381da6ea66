import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { DERIVED_DEFAULTS, RunConfig, RunConfigShape, SimulationModel, type RunConfigInput } from "../../core/config.js";
import { UserError } from "../../errors.js";
import type { TaskInfo } from "../../rl/progress.js";
import { storedRunConfig } from "../../store/run-config.js";
import { RunStore } from "../../store/run-store.js";
import { getTask } from "../../tasks/registry.js";
import { addConfigFlags, configFromFlags, configIssueToUserError, type FlagSpec } from "../flags.js";
import { dataDirOf, defaultRunDir, interruptOnSigint } from "../options.js";

/** Every flag of `mlerl train` and the run-config field it sets; help and defaults come from src/core/config.ts. */
export const TRAIN_FLAGS: readonly FlagSpec[] = [
  { flags: "--task <id...>", path: "tasks" },
  { flags: "--policy <kind>", path: "policy.kind" },
  { flags: "--base-url <url>", path: "policy.baseUrl" },
  { flags: "--model <name>", path: "policy.model" },
  { flags: "--api <kind>", path: "policy.api" },
  { flags: "--max-tokens <n>", path: "policy.maxTokens" },
  { flags: "--trainer <kind>", path: "policy.trainer" },
  { flags: "--trainer-url <url>", path: "policy.trainerUrl" },
  { flags: "--prior <mode>", path: "policy.prior" },
  { flags: "--instrumenter <kind>", path: "env.instrumenter" },
  { flags: "--instrument-model <name>", path: "env.instrumentModel" },
  { flags: "--rollouts <n>", path: "budget.rollouts" },
  { flags: "--minutes <m>", path: "budget.minutes" },
  { flags: "--executor <kind>", path: "env.executor" },
  { flags: "--redis <url>", path: "env.redisUrl" },
  { flags: "--worker-sandbox <mode>", path: "env.workerSandbox" },
  {
    flags: "--sim-model <file>",
    path: "env.simModel",
    help: "JSON model of the simulated actions (with --executor simulate; default: fast-weak, slow-strong and failing actions)",
    read: readSimModel,
  },
  { flags: "--executors <k>", path: "loop.executors" },
  { flags: "--samplers <n>", path: "loop.samplers" },
  { flags: "--batch <B>", path: "loop.batchSize" },
  { flags: "--max-staleness <S>", path: "loop.maxStaleness" },
  { flags: "--improve-prob <p>", path: "loop.improveProb" },
  { flags: "--no-duration-aware", path: "loop.durationAware", help: "do not weight updates by execution time (ablation)" },
  {
    flags: "--no-instrumentation",
    path: "env.instrumentation",
    help: "no milestone markers: a failure earns −10, a valid submission its score (ablation)",
  },
  { flags: "--no-normalize", path: "loop.normalizeAdvantages", help: "do not divide advantages by the batch's reward std" },
  { flags: "--baseline-momentum <m>", path: "loop.baselineMomentum" },
  { flags: "--pool-size <n>", path: "loop.poolSize" },
  { flags: "--keep-checkpoints <n>", path: "loop.keepCheckpoints" },
  { flags: "--seed <s>", path: "seed" },
  { flags: "--lr <rate>", path: "optim.lr" },
  { flags: "--loss <name>", path: "optim.loss" },
  { flags: "--clip <eps>", path: "optim.clip" },
  { flags: "--epochs <n>", path: "optim.epochs" },
  { flags: "--explore <beta>", path: "optim.explore" },
  { flags: "--timeout <seconds>", path: "env.timeoutSec" },
  { flags: "--valid-bonus <r>", path: "reward.validBonus" },
  { flags: "--score-floor <s>", path: "reward.scoreFloor", nullWord: "none" },
  { flags: "--quality <w>", path: "reward.qualityWeight" },
  { flags: "--quality-floor <q>", path: "reward.qualityFloor" },
  { flags: "--report-fraction <f>", path: "split.reportFraction" },
  { flags: "--split-salt <s>", path: "split.salt" },
  { flags: "--train-on <answers>", path: "split.trainOn" },
];

function readSimModel(path: string, flag: string): SimulationModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UserError(
      `${flag} ${path}: cannot read JSON (${e instanceof Error ? e.message : String(e)})`,
      'write a JSON file like {"actions": {"fast": {"medianSec": 1, "sigma": 0.5, "reward": 0.5}}}',
    );
  }
  const parsed = SimulationModel.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(
      `${flag} ${path}: field ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      "each action needs medianSec (> 0), sigma (≥ 0) and reward; optional rewardStd, failProb",
    );
  }
  return parsed.data;
}

/** The run config the flags describe, checked by the schema; errors name the flag. */
export function configFromTrainFlags(cmd: Command): RunConfig {
  const input = configFromFlags(cmd, TRAIN_FLAGS) as RunConfigInput;
  const parsed = RunConfig.safeParse(input);
  if (!parsed.success) throw configIssueToUserError(parsed.error, TRAIN_FLAGS, input, RunConfigShape.parse({}));
  return parsed.data;
}

function readStoredConfig(runDir: string): RunConfig {
  if (!RunStore.exists(runDir))
    throw new UserError(`--resume ${runDir}: no run.sqlite there`, "pass the run directory a previous `mlerl train` printed");
  const store = RunStore.openReadonly(runDir);
  try {
    const c = storedRunConfig(store);
    if (!c) throw new UserError(`--resume ${runDir}: the run has no stored config`, "start a new run instead");
    return c;
  } finally {
    store.close();
  }
}

export function defineTrain(cmd: Command): void {
  addConfigFlags(cmd, RunConfigShape, TRAIN_FLAGS, RunConfigShape.parse({}), DERIVED_DEFAULTS);
  cmd
    .option("--run-dir <dir>", "where the run is stored (default: ./runs/train-<time>)")
    .option("--resume <dir>", "continue a stopped run exactly where it left off (its stored config wins over flags)")
    .option("--json", "print a JSON summary at the end")
    .action(async (opts: { runDir?: string; resume?: string; json?: boolean }, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const resume = opts.resume !== undefined;
      const given = opts.resume ?? opts.runDir;
      const runDir = given !== undefined ? resolve(given) : defaultRunDir("train");
      const config = resume ? undefined : configFromTrainFlags(cmd);
      const known = config ?? readStoredConfig(runDir);
      const infos = new Map<string, TaskInfo>();
      for (const id of known.tasks) {
        if (known.env.executor === "simulate") continue;
        const spec = getTask(id, dataDir);
        infos.set(id, { lowerIsBetter: spec.lowerIsBetter, ...(spec.thresholds ? { thresholds: spec.thresholds } : {}) });
      }
      // The training stack (TensorFlow.js, SQLite, the sandbox) loads only when a run starts, not for --help.
      const [{ train }, { TrainProgress, medalLevel }] = await Promise.all([import("../../run/train.js"), import("../../rl/progress.js")]);
      const progress = new TrainProgress(infos, known.loop.executors);
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
        result = await train({
          runDir,
          ...(config ? { config } : {}),
          dataDir,
          resume,
          signal: stop.signal,
          events,
          log,
          onEnvironment: (env) => {
            if (env.status) progress.status = () => env.status?.() ?? "";
          },
        });
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
