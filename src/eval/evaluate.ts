/**
 * `mlerl eval` as a library: the test-time procedure (scratch, one improvement, keep the better by the agent's
 * own validation metric) repeated N times per seed and task through the real environment, summarised into
 * eval.json (src/eval/result.ts).
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { dataOverview } from "../agent/data-overview.js";
import { loadTemplates, type Templates } from "../agent/prompts.js";
import { testTimeTaskOf } from "../agent/task-prompt.js";
import { testTimeSolve, type RunOutcome } from "../agent/test-time.js";
import {
  DEFAULT_ENV,
  DEFAULT_REWARD_SETTINGS,
  DEFAULT_SPLIT_CONFIG,
  methodOf,
  type SplitConfig,
  type EnvConfig,
  type RunConfig,
} from "../core/config.js";
import { reportScoreOf, type RolloutRecord } from "../core/rollout.js";
import { UserError } from "../errors.js";
import { openFragmentSampler } from "../policy/open.js";
import type { Sampler } from "../policy/types.js";
import { openEnvironment, type Environment } from "../rollout/environment.js";
import { storedRunConfig } from "../store/run-config.js";
import { RunStore } from "../store/run-store.js";
import { runPool } from "./pool.js";
import { EvalResult, medalOf, taskResult, type EvalAttempt } from "./result.js";
import { samplerSolver, samplingSeed } from "./sampler-solver.js";

/** Where the policy under evaluation comes from. */
export type PolicySource =
  | { kind: "run"; runDir: string }
  | { kind: "checkpoint"; dir: string }
  | { kind: "untrained"; seed?: number }
  | { kind: "sampler"; sampler: Sampler; method: string; runDir?: string | null; checkpoint?: string | null };

export interface OpenedPolicy {
  sampler: Sampler;
  method: string;
  source: { runDir: string | null; checkpoint: string | null };
  /** The training run's config when evaluating a run (reward rule and deadline come from it). */
  config: RunConfig | null;
  /** A note for the log (e.g. "the run has no update yet: evaluating its initial policy"). */
  note: string | null;
  close(): void;
}

/** Loads the policy a source names (the run's latest checkpoint, a checkpoint dir, or a fresh random init). */
export async function openEvalPolicy(source: PolicySource): Promise<OpenedPolicy> {
  if (source.kind === "sampler") {
    return {
      sampler: source.sampler,
      method: source.method,
      source: { runDir: source.runDir ?? null, checkpoint: source.checkpoint ?? null },
      config: null,
      note: null,
      close() {},
    };
  }
  if (source.kind === "untrained") {
    const { sampler, close } = await openFragmentSampler({ seed: source.seed ?? 0 });
    return { sampler, method: "untrained", source: { runDir: null, checkpoint: null }, config: null, note: null, close };
  }
  if (source.kind === "checkpoint") {
    const dir = resolve(source.dir);
    if (!existsSync(dir))
      throw new UserError(
        `--checkpoint ${dir}: no such directory`,
        "pass a checkpoint directory written by `mlerl train` (<run>/checkpoints/...) or `mlerl policy init`",
      );
    const { sampler, close } = await openFragmentSampler({ checkpoint: dir, seed: 0 });
    return { sampler, method: "checkpoint", source: { runDir: null, checkpoint: dir }, config: null, note: null, close };
  }
  const runDir = resolve(source.runDir);
  if (!existsSync(join(runDir, "run.sqlite")))
    throw new UserError(`--run ${runDir}: no run.sqlite there`, "pass a run directory written by `mlerl train`");
  const store = RunStore.open(runDir);
  try {
    const config = storedRunConfig(store);
    if (!config) throw new UserError(`--run ${runDir}: the run has no stored config`, "pass a run directory written by `mlerl train`");
    if (config.policy.kind === "openai") {
      throw new UserError(
        `--run ${runDir}: an LM run's policy lives on its trainer server, which \`mlerl eval --run\` does not drive`,
        'evaluate it through the library: evaluatePolicy({ policy: { kind: "sampler", sampler: new OpenAISampler(...), method: "rl" }, ... })',
      );
    }
    if (config.policy.kind !== "fragment") {
      throw new UserError(
        `--run ${runDir}: a ${config.policy.kind} policy cannot be evaluated in the environment (it was trained with --executor ${config.env.executor})`,
        "evaluate a run of the built-in fragment policy trained on real tasks",
      );
    }
    const method = store.getMeta("method") ?? methodOf(config);
    const latest = store.latestUpdate();
    const checkpoint = latest?.checkpoint && existsSync(latest.checkpoint) ? latest.checkpoint : null;
    // Without a checkpoint, the same init as the training run's first policy: still that run's policy.
    const { sampler, close } = await openFragmentSampler({ checkpoint, seed: config.seed });
    const note = checkpoint
      ? null
      : latest
        ? `the run's latest checkpoint ${latest.checkpoint ?? "(none recorded)"} is missing: evaluating its initial policy`
        : "the run has no update yet: evaluating its initial policy";
    return { sampler, method, source: { runDir, checkpoint }, config, note, close };
  } finally {
    store.close();
  }
}

export interface EvaluateOptions {
  policy: PolicySource;
  taskIds: readonly string[];
  dataDir: string;
  /** Test-time procedures per task and seed (default 1). */
  samples?: number;
  /** Seeds (default [0]); each one changes every sampling seed. */
  seeds?: readonly number[];
  /** Where programs run and their deadline (default: the run's, else a bare `mlerl train`'s). */
  env?: Partial<Pick<EnvConfig, "executor" | "timeoutSec" | "redisUrl">>;
  /** How answers are split (default: the run's, else the default split); the report shows the report split. */
  split?: SplitConfig;
  /** Attempts run at once (default: one per core). */
  concurrency?: number;
  /** Where eval.json and the programs go (default: the run dir; required for other sources). */
  outDir?: string;
  /**
   * Where the evaluation starts on the run's clock (seconds): its executions are stored in <out>/eval/run.sqlite
   * with times on that clock, so a report can put a run's training and its test-time procedure on one time axis.
   */
  clockOffsetSec?: number;
  /** Label written as eval.json's method (default: the run's method, "checkpoint" or "untrained"). */
  method?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** The eval.json path of an output dir. */
export const evalJsonPath = (dir: string) => join(dir, "eval.json");

/** One attempt's details beyond eval.json (both solutions, the reason of the choice), one JSON line each. */
interface AttemptDetail {
  taskId: string;
  seed: number;
  sample: number;
  selection: string;
  reason: string;
  scratch: { validationMetric: number | null; valid: boolean; testScore: number | null; failureKind: string | null; wallSec: number };
  improve: {
    validationMetric: number | null;
    valid: boolean;
    testScore: number | null;
    failureKind: string | null;
    wallSec: number;
  } | null;
}

interface Job {
  taskId: string;
  seed: number;
  sample: number;
}

/** Evaluates a policy; writes eval.json (and eval/attempts.jsonl + every program's files) into the output dir. */
export async function evaluatePolicy(opts: EvaluateOptions): Promise<EvalResult> {
  const log = opts.log ?? (() => {});
  const samples = opts.samples ?? 1;
  const seeds = [...(opts.seeds ?? [0])];
  if (!Number.isInteger(samples) || samples < 1)
    throw new UserError(`samples must be a positive integer, got ${samples}`, "e.g. --samples 3");
  if (seeds.length === 0) throw new UserError("at least one seed is needed", "e.g. --seeds 3");
  if (opts.taskIds.length === 0) throw new UserError("no task to evaluate on", "name tasks with --task ID...");
  const opened = await openEvalPolicy(opts.policy);
  try {
    const outDir = resolve(opts.outDir ?? opened.source.runDir ?? "");
    if (!opts.outDir && !opened.source.runDir) throw new UserError("no output directory for eval.json", "pass --out DIR");
    if (opened.note) log(opened.note);
    // The instrumenter is always on here, whatever a training run used: it is how the agent-visible validation
    // metric a program prints is read, and selection depends on it.
    const base = opened.config?.env ?? DEFAULT_ENV;
    const envConfig: EnvConfig = { ...base, executor: "sandbox", ...opts.env, instrumentation: true, instrumenter: "ast" };
    const env = await openEnvironment({
      dataDir: opts.dataDir,
      taskIds: opts.taskIds,
      env: envConfig,
      reward: opened.config?.reward ?? DEFAULT_REWARD_SETTINGS,
      split: opts.split ?? opened.config?.split ?? DEFAULT_SPLIT_CONFIG,
      log,
    });
    try {
      return await evaluateIn(env, opened, { ...opts, samples, seeds, outDir, log, timeLimitSec: envConfig.timeoutSec });
    } finally {
      await env.close();
    }
  } finally {
    opened.close();
  }
}

async function evaluateIn(
  env: Environment,
  opened: OpenedPolicy,
  opts: EvaluateOptions & { samples: number; seeds: number[]; outDir: string; log: (line: string) => void; timeLimitSec: number },
): Promise<EvalResult> {
  const { log, outDir } = opts;
  const workDir = join(outDir, "eval");
  mkdirSync(workDir, { recursive: true });
  const detailsPath = join(workDir, "attempts.jsonl");
  writeFileSync(detailsPath, "");
  // Every execution of the procedure as a rollout (an evaluation is not resumable: a new one starts afresh).
  for (const f of ["run.sqlite", "run.sqlite-wal", "run.sqlite-shm", "rollouts"])
    rmSync(join(workDir, f), { recursive: true, force: true });
  const store = RunStore.open(workDir);
  store.setMeta("method", `${opts.method ?? opened.method}-test-time`);
  store.setMeta("label", "the test-time procedure's executions");
  const t0 = Date.now();
  const clock = () => (opts.clockOffsetSec ?? 0) + (Date.now() - t0) / 1000;
  try {
    const result = await evaluateAll(env, opened, store, clock, { ...opts, detailsPath, workDir });
    store.setMeta("elapsed_sec", String((Date.now() - t0) / 1000));
    store.setMeta("executors", String(opts.concurrency ?? availableParallelism()));
    return result;
  } finally {
    store.close();
  }
}

async function evaluateAll(
  env: Environment,
  opened: OpenedPolicy,
  store: RunStore,
  clock: () => number,
  opts: EvaluateOptions & {
    samples: number;
    seeds: number[];
    outDir: string;
    log: (line: string) => void;
    timeLimitSec: number;
    detailsPath: string;
    workDir: string;
  },
): Promise<EvalResult> {
  const { log, outDir, detailsPath } = opts;
  const templates: Templates = loadTemplates();
  const { timeLimitSec } = opts;
  const overviews = new Map<string, string>();
  for (const [id, t] of env.tasks) overviews.set(id, await dataOverview(t.paths.publicDir));

  const jobs: Job[] = [];
  for (const taskId of opts.taskIds)
    for (const seed of opts.seeds) for (let sample = 0; sample < opts.samples; sample++) jobs.push({ taskId, seed, sample });
  log(
    `evaluating ${opened.method} (${opened.source.checkpoint ?? "initial policy"}) on ${opts.taskIds.length} task(s) × ${opts.seeds.length} seed(s) × ${opts.samples} sample(s) in ${env.describe()}`,
  );
  let done = 0;
  const attempts = await runPool(
    jobs,
    opts.concurrency ?? availableParallelism(),
    async (job): Promise<{ taskId: string; attempt: EvalAttempt }> => {
      if (opts.signal?.aborted)
        throw new UserError("evaluation stopped", "run it again; eval.json is written only when every attempt has finished");
      const task = env.tasks.get(job.taskId)!;
      const outcomes: Partial<Record<"scratch" | "improve", RolloutRecord>> = {};
      const ids: Partial<Record<"scratch" | "improve", number>> = {};
      const result = await testTimeSolve({
        task: testTimeTaskOf(task.spec),
        dataOverview: overviews.get(job.taskId) ?? "",
        timeLimitSec,
        templates,
        stripMarkers: (s) => s, // the environment's output has its markers removed already
        solve: samplerSolver(opened.sampler, task.spec, (kind) => samplingSeed(job.taskId, job.seed, job.sample, kind)),
        run: async (code, { kind }): Promise<RunOutcome> => {
          const id = store.startRollout({
            taskId: job.taskId,
            kind,
            parentId: kind === "improve" ? (ids.scratch ?? null) : null,
            action: { code, policyVersion: opened.sampler.version(), payload: { seed: job.seed, sample: job.sample } },
            startedAt: clock(),
          });
          ids[kind] = id;
          store.writeArtifacts(id, { "program.py": code });
          const record = await env.run(job.taskId, code, store.rolloutDir(id), opts.signal);
          store.finishRollout(id, record, clock());
          outcomes[kind] = record;
          return {
            output: record.feedback.output,
            validationMetric: record.reward.validationMetric,
            validSubmission: record.reward.validSubmission,
            testScore: reportScoreOf(record),
            reward: record.reward.reward,
            summary: record.feedback.failureKind,
            feedback: record.feedback,
          };
        },
      });
      const chosen = result.selection.selected === "improve" ? result.improve : result.scratch;
      const ran = chosen?.run != null;
      const valid = chosen?.validSubmission ?? false;
      const testScore = valid ? result.selectedTestScore : null;
      const wallSec = (outcomes.scratch?.reward.wallSec ?? 0) + (outcomes.improve?.reward.wallSec ?? 0);
      const thresholds = task.spec.thresholds ?? null;
      const attempt: EvalAttempt = {
        seed: job.seed,
        sample: job.sample,
        selected: ran ? result.selection.selected : null,
        testScore,
        validationMetric: chosen?.validationMetric ?? null,
        valid,
        medal: valid ? medalOf(testScore, thresholds, task.spec.lowerIsBetter) : null,
        wallSec,
      };
      const side = (record: RolloutRecord | undefined) =>
        record
          ? {
              validationMetric: record.reward.validationMetric,
              valid: record.reward.validSubmission,
              testScore: reportScoreOf(record),
              failureKind: record.reward.failureKind,
              wallSec: record.reward.wallSec,
            }
          : null;
      const detail: AttemptDetail = {
        taskId: job.taskId,
        seed: job.seed,
        sample: job.sample,
        selection: result.selection.selected,
        reason: result.selection.reason,
        scratch: side(outcomes.scratch) ?? { validationMetric: null, valid: false, testScore: null, failureKind: null, wallSec: 0 },
        improve: side(outcomes.improve),
      };
      appendFileSync(detailsPath, `${JSON.stringify(detail)}\n`);
      done += 1;
      const fmt = (x: number | null) => (x === null ? "—" : x.toPrecision(4));
      log(
        `[${done}/${jobs.length}] ${job.taskId} seed ${job.seed} sample ${job.sample}: kept ${result.selection.selected} (${result.selection.reason}); valid ${valid}, validation ${fmt(attempt.validationMetric)}, test ${fmt(testScore)}, ${wallSec.toFixed(1)} s`,
      );
      return { taskId: job.taskId, attempt };
    },
  );

  const result: EvalResult = EvalResult.parse({
    kind: "eval",
    method: opts.method ?? opened.method,
    source: opened.source,
    samples: opts.samples,
    seeds: opts.seeds,
    createdAt: new Date().toISOString(),
    tasks: opts.taskIds.map((taskId) => {
      const spec = env.tasks.get(taskId)!.spec;
      const mine = attempts.filter((a) => a.taskId === taskId).map((a) => a.attempt);
      return taskResult({ taskId, metric: spec.metric, lowerIsBetter: spec.lowerIsBetter, thresholds: spec.thresholds ?? null }, mine);
    }),
  });
  writeEvalJson(outDir, result);
  return result;
}

/** Writes eval.json atomically (a reader never sees half a file). */
export function writeEvalJson(dir: string, result: EvalResult): string {
  mkdirSync(dir, { recursive: true });
  const path = evalJsonPath(dir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(EvalResult.parse(result), null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}
