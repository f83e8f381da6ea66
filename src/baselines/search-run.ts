/**
 * `mlerl baseline aide|random` as a library. A baseline run is stored like a training run (run.sqlite through
 * RunStore: meta method/label/config/elapsed_sec, one rollout per execution with its outcome JSON), and its final
 * selection (per task and seed, the best node by validation metric) is written as eval.json in the same shape
 * as `mlerl eval`'s, so reports treat every method alike.
 *
 * Seeds are replicates, searched one after another. Within a seed, every task is searched side by side on a
 * shared pool of executors, like a training run. The budget is per task and seed: a number of executions, or
 * minutes of wall-clock from the seed's start (programs still running at the deadline are stopped and count as
 * killed). Rollout times are seconds since the seed's start; the outcome JSON carries `seed` and `step`.
 */
import { existsSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";
import {
  DEFAULT_ENV,
  DEFAULT_REWARD_SETTINGS,
  DEFAULT_SPLIT_CONFIG,
  type SplitConfig,
  type BaselineConfig,
  type BaselineMethod,
  type EnvConfig,
} from "../core/config.js";
import { openEnvironment, type Environment } from "../rollout/environment.js";
import { writeEvalJson } from "../eval/evaluate.js";
import { runPool } from "../eval/pool.js";
import { EvalResult, medalOf, taskResult, type EvalAttempt } from "../eval/result.js";
import { openFragmentSampler } from "../policy/open.js";
import type { Sampler } from "../policy/types.js";
import { reportScoreOf, type RolloutRecord } from "../core/rollout.js";
import { storeMachine } from "../store/run-config.js";
import { RunStore } from "../store/run-store.js";
import { markWriter } from "../store/run-writer.js";
import { AideSearch, DEFAULT_AIDE, type AideConfig } from "./aide.js";
import { RandomSearch } from "./random-search.js";
import { bestNode, visibleOf, type ProposedStep, type Search } from "./search.js";

export type { BaselineMethod };

export interface Budget {
  /** Executions per task and seed. */
  executions?: number;
  /** Wall-clock minutes per seed (all tasks searched side by side). */
  minutes?: number;
}

export interface BaselineOptions {
  method: BaselineMethod;
  taskIds: readonly string[];
  dataDir: string;
  runDir: string;
  seeds?: readonly number[];
  budget: Budget;
  /** Concurrent executions (default: one per core). */
  executors?: number;
  /** Where programs run and their deadline (default: a bare `mlerl train`'s); instrumentation is always on. */
  env?: Partial<EnvConfig>;
  /** How answers are split (default: the default split); score-driven choices see the reward split only. */
  split?: SplitConfig;
  /** AIDE: its sampler (default: the untrained built-in fragment policy, init seed `policySeed`). */
  sampler?: Sampler;
  policySeed?: number;
  aide?: AideConfig;
  label?: string;
  /**
   * Start again when runDir holds an interrupted run of the same baseline (run.sqlite but no eval.json): its
   * database and programs are discarded. A finished run or another method's run is never touched.
   */
  restart?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** One execution as the scheduler stores it. */
interface Recorded {
  taskId: string;
  seed: number;
  nodeId: number;
  step: ProposedStep;
  record: RolloutRecord;
}

/** Runs a baseline search, stores every execution in the run dir, writes eval.json and returns it. */
export async function runBaseline(opts: BaselineOptions): Promise<EvalResult> {
  const log = opts.log ?? (() => {});
  const seeds = [...(opts.seeds ?? [0])];
  const { executions, minutes } = opts.budget;
  if (executions === undefined && minutes === undefined)
    throw new UserError("a baseline needs a budget", "pass --budget-executions N or --budget-minutes M");
  if (executions !== undefined && (!Number.isInteger(executions) || executions < 1))
    throw new UserError(`the execution budget must be a positive integer, got ${executions}`, "e.g. --budget-executions 20");
  if (minutes !== undefined && !(minutes > 0))
    throw new UserError(`the minutes budget must be positive, got ${minutes}`, "e.g. --budget-minutes 5");
  if (seeds.length === 0) throw new UserError("at least one seed is needed", "e.g. --seeds 3");
  if (opts.taskIds.length === 0) throw new UserError("no task to search", "name tasks with --task ID...");
  const runDir = resolve(opts.runDir);
  if (existsSync(join(runDir, "run.sqlite"))) clearInterrupted(runDir, opts.method, opts.restart === true);
  const executors = opts.executors ?? availableParallelism();
  const envConfig: EnvConfig = { ...DEFAULT_ENV, ...opts.env, instrumentation: true, instrumenter: "ast" };
  const policySeed = opts.policySeed ?? 0;

  const split = opts.split ?? DEFAULT_SPLIT_CONFIG;
  const env = await openEnvironment({
    dataDir: opts.dataDir,
    taskIds: opts.taskIds,
    env: envConfig,
    reward: DEFAULT_REWARD_SETTINGS,
    split,
    log,
  });
  let ownPolicy: { close(): void } | null = null;
  const store = RunStore.open(runDir);
  try {
    let sampler = opts.sampler ?? null;
    if (opts.method === "aide" && sampler === null) {
      const opened = await openFragmentSampler({ seed: policySeed });
      ownPolicy = opened;
      sampler = opened.sampler;
    }
    const samplerName = opts.method === "aide" ? (sampler as Sampler).name : "uniform-grammar";
    const label =
      opts.label ??
      (opts.method === "aide"
        ? `AIDE-style tree search (${opts.sampler ? samplerName : "untrained fragment policy"})`
        : "random search over the fragment grammar");
    const config: BaselineConfig = {
      method: opts.method,
      tasks: [...opts.taskIds],
      seeds,
      budget: { executions: executions ?? null, minutes: minutes ?? null, per: "task and seed" },
      executors,
      executor: envConfig.executor,
      timeoutSec: envConfig.timeoutSec,
      sampler: samplerName,
      split: { reportFraction: split.reportFraction, salt: split.salt },
      ...(opts.method === "aide" ? { aide: opts.aide ?? DEFAULT_AIDE, policySeed } : {}),
    };
    store.setMeta("method", opts.method);
    store.setMeta("label", label);
    store.setMeta("config", JSON.stringify(config));
    store.setMeta("clock", "per-seed");
    markWriter(store);
    storeMachine(store);
    log(
      `${label}: ${opts.taskIds.length} task(s) × ${seeds.length} seed(s), budget ${executions !== undefined ? `${executions} executions` : ""}${executions !== undefined && minutes !== undefined ? " or " : ""}${minutes !== undefined ? `${minutes} min` : ""} per task and seed, ${executors} executor(s), run dir ${runDir}`,
    );

    const started = Date.now();
    const attempts = new Map<string, EvalAttempt[]>(opts.taskIds.map((id) => [id, []]));
    for (const seed of seeds) {
      const searches: Search[] = opts.taskIds.map((taskId) => {
        const task = env.tasks.get(taskId)!.spec;
        return opts.method === "aide"
          ? new AideSearch({ task, seed, sampler: sampler as Sampler, config: opts.aide ?? DEFAULT_AIDE })
          : new RandomSearch({ task, seed });
      });
      const records = await searchSeed(env, store, searches, { executions, minutes, executors, log, signal: opts.signal });
      for (const s of searches) {
        const spec = env.tasks.get(s.taskId)!.spec;
        const mine = records.filter((r) => r.taskId === s.taskId);
        const best = bestNode(s.nodes, spec.lowerIsBetter);
        const picked = best ? (mine.find((r) => r.nodeId === best.id)?.record ?? null) : null;
        const valid = picked?.reward.validSubmission ?? false;
        const testScore = picked ? reportScoreOf(picked) : null;
        attempts.get(s.taskId)!.push({
          seed,
          sample: 0,
          selected: best ? (best.step === "draft" || best.step === "random" ? "scratch" : "improve") : null,
          testScore,
          validationMetric: best?.outcome.validationMetric ?? null,
          valid,
          medal: valid ? medalOf(testScore, spec.thresholds ?? null, spec.lowerIsBetter) : null,
          wallSec: mine.reduce((a, r) => a + r.record.reward.wallSec, 0),
        });
        const fmt = (x: number | null) => (x === null ? "—" : x.toPrecision(4));
        log(
          `seed ${seed} ${s.taskId}: ${mine.length} executions, ${mine.filter((r) => r.record.reward.validSubmission).length} valid; selected node ${best?.id ?? "none"} (validation ${fmt(best?.outcome.validationMetric ?? null)}, test ${fmt(testScore)})`,
        );
      }
    }
    store.setMeta("elapsed_sec", String((Date.now() - started) / 1000));
    const result = EvalResult.parse({
      kind: "eval",
      method: opts.method,
      source: { runDir, checkpoint: null },
      samples: 1,
      seeds,
      createdAt: new Date().toISOString(),
      tasks: opts.taskIds.map((taskId) => {
        const spec = env.tasks.get(taskId)!.spec;
        return taskResult(
          { taskId, metric: spec.metric, lowerIsBetter: spec.lowerIsBetter, thresholds: spec.thresholds ?? null },
          attempts.get(taskId) ?? [],
        );
      }),
    });
    writeEvalJson(runDir, result);
    return result;
  } finally {
    store.close();
    ownPolicy?.close();
    await env.close();
  }
}

/** Refuses a run dir that holds a run, unless it is an interrupted run of this baseline and restarting was asked for. */
function clearInterrupted(runDir: string, method: BaselineMethod, restart: boolean): void {
  const store = RunStore.open(runDir);
  let stored: string | undefined;
  try {
    stored = store.getMeta("method");
  } finally {
    store.close();
  }
  const interrupted = stored === method && !existsSync(join(runDir, "eval.json"));
  if (!restart || !interrupted) {
    const why = interrupted
      ? "an interrupted run of this baseline"
      : stored === method
        ? "a finished run of this baseline"
        : `a run of method '${stored ?? "unknown"}'`;
    throw new UserError(
      `${runDir} already holds ${why}`,
      interrupted ? "start it again with --restart, or pick a new --run-dir" : "pick a new --run-dir",
    );
  }
  for (const f of ["run.sqlite", "run.sqlite-wal", "run.sqlite-shm", "rollouts"]) rmSync(join(runDir, f), { recursive: true, force: true });
}

/**
 * One seed: every task's search side by side on `executors` slots. A slot takes the next task in round-robin
 * order that still has budget, asks its search for a program, runs it, stores it, and reports the visible
 * outcome back to the search.
 */
async function searchSeed(
  env: Environment,
  store: RunStore,
  searches: readonly Search[],
  o: { executions?: number; minutes?: number; executors: number; log: (line: string) => void; signal?: AbortSignal },
): Promise<Recorded[]> {
  const t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  const deadline = o.minutes !== undefined ? o.minutes * 60 : Infinity;
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  o.signal?.addEventListener("abort", onOuterAbort);
  const timer = Number.isFinite(deadline) ? setTimeout(() => stop.abort(), deadline * 1000) : null;
  const startedPer = new Map<Search, number>(searches.map((s) => [s, 0]));
  const records: Recorded[] = [];
  // Rollout ids of finished nodes, so a debug or improve step names its parent rollout.
  const rolloutOf = new Map<Search, Map<number, number>>(searches.map((s) => [s, new Map()]));
  let turn = 0;
  const nextSearch = (): Search | null => {
    if (stop.signal.aborted || now() >= deadline) return null;
    for (let k = 0; k < searches.length; k++) {
      const s = searches[(turn + k) % searches.length] as Search;
      if (o.executions === undefined || (startedPer.get(s) ?? 0) < o.executions) {
        turn = (turn + k + 1) % searches.length;
        startedPer.set(s, (startedPer.get(s) ?? 0) + 1);
        return s;
      }
    }
    return null;
  };
  const slot = async () => {
    for (let s = nextSearch(); s !== null; s = nextSearch()) {
      const step = await s.propose();
      if (step === null) continue;
      const startedAt = now();
      const id = store.startRollout({
        taskId: s.taskId,
        kind: step.step === "draft" || step.step === "random" ? "scratch" : "improve",
        parentId: step.parentNode === null ? null : (rolloutOf.get(s)?.get(step.parentNode) ?? null),
        action: {
          code: step.code,
          policyVersion: step.completion?.version ?? 0,
          payload: { seed: s.seed, step: step.step, parentNode: step.parentNode, tokens: step.tokens },
        },
        startedAt,
      });
      const ran = await env.run(s.taskId, step.code, store.rolloutDir(id), stop.signal);
      const nodeId = s.complete(step, visibleOf(ran));
      const record: RolloutRecord = { ...ran, search: { seed: s.seed, step: step.step, node: nodeId } };
      store.finishRollout(id, record, now());
      rolloutOf.get(s)?.set(nodeId, id);
      records.push({ taskId: s.taskId, seed: s.seed, nodeId, step, record });
      const outcome = record.reward;
      o.log(
        `  seed ${s.seed} ${s.taskId} #${s.nodes.length - 1} ${step.step}${step.parentNode !== null ? ` of #${step.parentNode}` : ""}: ${outcome.validSubmission ? `valid, validation ${outcome.validationMetric ?? "—"}` : outcome.failureKind} (${outcome.wallSec.toFixed(1)} s)`,
      );
    }
  };
  try {
    await runPool(
      Array.from({ length: o.executors }, (_, i) => i),
      o.executors,
      slot,
    );
  } finally {
    if (timer) clearTimeout(timer);
    o.signal?.removeEventListener("abort", onOuterAbort);
  }
  if (o.signal?.aborted)
    throw new UserError("baseline stopped", "run it again with a new --run-dir; eval.json is written only when every seed has finished");
  return records;
}
