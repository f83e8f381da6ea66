/**
 * Reads run directories for reports: meta, rollouts, updates (run.sqlite, opened read-only so a report never
 * changes a run, even one still training) and the optional eval.json. Everything read is checked with zod; a
 * damaged row or file becomes a note on the run instead of a crash, so one bad run cannot hide the others.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { BaselineConfig, methodOf, StoredRunConfig, testFeedbackOf } from "../core/config.js";
import type { RolloutSummary } from "../core/rollout.js";
import { EvalResult } from "../eval/result.js";
import { parseJson, RunStore } from "../store/run-store.js";

export interface ReportRollout {
  id: number;
  taskId: string;
  kind: string;
  policyVersion: number;
  /** Seconds since the run's first rollout started (the stored clock, shifted so the run starts at 0). */
  startSec: number;
  finishSec: number | null;
  wallSec: number | null;
  reward: number | null;
  /**
   * What reports read of the stored record (its summary; a full record serves as well). Null while running, or
   * when the stored record could not be read (a note says so).
   */
  record: RolloutSummary | null;
  /** A training (or search) rollout, or an execution of the test-time procedure after training (<run>/eval/). */
  phase: "train" | "test-time";
}

export interface ReportUpdate {
  version: number;
  n: number | null;
  meanReward: number | null;
  meanDt: number | null;
  kl: number | null;
}

export interface LoadedRun {
  dir: string;
  /** Short name for legends: the directory's base name. */
  name: string;
  method: string;
  label: string | null;
  config: Record<string, unknown> | null;
  elapsedSec: number | null;
  rollouts: ReportRollout[];
  updates: ReportUpdate[];
  evaluation: EvalResult | null;
  /** Concurrent executions the run used (its config's, else its store's), when known. */
  executors: number | null;
  /**
   * Executor-seconds spent: training or search time × executors, plus the test-time procedure's time × its
   * executors (the budget unit of comparisons); null when the run does not say.
   */
  executorSec: number | null;
  /** Score feedback from the test answers during training: none (a search), the reward split, or all answers. */
  testFeedback: "none" | "reward split" | "all";
  /** The answers split the run's records were scored on, when it has one. */
  split: { reportFraction: number; salt: string } | null;
  /** The machine the run was made on (meta "machine"), when recorded. */
  machine: { cores: number; memoryGiB: number } | null;
  /** The policy that wrote the programs (fragment, openai, the untrained fragment LM of a search, ...). */
  policy: string | null;
  /** Things the reader of the report should know about this run (missing or unreadable data). */
  notes: string[];
}

const RUN_FILES = ["run.sqlite", "eval.json"];

function isRunDir(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(join(dir, f)));
}

/**
 * The run directories named on the command line. A directory that holds no run itself but has run
 * directories below it (e.g. an ablation's output with one subdirectory per method and seed) stands for them.
 */
export function expandRunDirs(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): boolean => {
    if (isRunDir(dir)) {
      out.push(dir);
      return true;
    }
    if (depth === 0) return false;
    let found = false;
    const children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !["rollouts", "checkpoints"].includes(e.name))
      .map((e) => e.name)
      .sort();
    for (const child of children) found = walk(join(dir, child), depth - 1) || found;
    return found;
  };
  for (const raw of dirs) {
    const dir = resolve(raw);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UserError(
        `${raw}: no such directory`,
        "pass run directories written by `mlerl train`, `mlerl baseline`, `mlerl ablate` or `mlerl eval --out`",
      );
    }
    if (!walk(dir, 2)) {
      throw new UserError(
        `${raw}: neither it nor its subdirectories hold a run (no run.sqlite or eval.json)`,
        "pass the --run-dir of a training or baseline run, or the --out directory of `mlerl eval`",
      );
    }
  }
  return [...new Set(out)];
}

/** The method of a run that does not say: read from its training config (the paper's ablations switch one idea off). */
export function methodFromConfig(config: Record<string, unknown> | null): string | null {
  if (config === null) return null;
  if ("version" in config) {
    const parsed = StoredRunConfig.safeParse(config);
    return parsed.success ? methodOf(parsed.data) : null;
  }
  // mlerl 0.1's flat config.
  if (!("durationAware" in config)) return null;
  if (config.durationAware === false) return "rl-no-duration";
  if (config.instrumentation === false) return "rl-no-instrumentation";
  if (config.improveProb === 0) return "rl-no-improve";
  return "rl";
}

function readJsonObject(text: string): Record<string, unknown> | null {
  const r = parseJson(z.record(z.string(), z.unknown()), text);
  return r.ok ? r.value : null;
}

function readDatabase(dir: string, notes: string[], phase: ReportRollout["phase"] = "train", origin?: number, open?: RunStore) {
  const store = open ?? RunStore.openReadonly(dir);
  try {
    const meta = store.meta();
    // Reports read the records' summaries only; actions (programs and tokens) and the rest of the records stay unread.
    const rows = store.rolloutOverviews();
    // Stored times may be on any clock (the host's epoch seconds, or the run's own): shift so the run starts at 0.
    const t0 = origin ?? (rows.length ? Math.min(...rows.map((r) => r.startedAt)) : 0);
    const bad = rows.filter((r) => r.problem !== null).length;
    if (bad > 0) notes.push(`${bad} rollout outcome(s) in run.sqlite could not be read and are left out`);
    const rollouts: ReportRollout[] = rows.map((r) => ({
      id: r.id,
      taskId: r.taskId,
      kind: r.kind,
      policyVersion: r.policyVersion,
      startSec: r.startedAt - t0,
      finishSec: r.finishedAt === null ? null : r.finishedAt - t0,
      wallSec: r.summary?.reward.wallSec ?? null,
      reward: r.summary?.reward.reward ?? null,
      record: r.summary,
      phase,
    }));
    let updates: ReportUpdate[] = [];
    try {
      updates = store
        .updates()
        .map((u) => ({ version: u.version, n: u.stats.n, meanReward: u.stats.meanReward, meanDt: u.stats.meanDt, kl: u.stats.kl }));
    } catch (e) {
      notes.push(`update records could not be read (${e instanceof Error ? e.message : String(e)}) and are left out`);
    }
    return { meta, rollouts, updates, t0 };
  } finally {
    if (open === undefined) store.close();
  }
}

/**
 * The test-time procedure's executions after training (`mlerl eval` stores them in <run>/eval/run.sqlite on the
 * run's clock), so the run's best-so-far line goes on through its evaluation. Ids follow the run's own.
 */
function readTestTime(
  dir: string,
  origin: number,
  firstId: number,
  notes: string[],
): { rollouts: ReportRollout[]; executors: number | null; elapsedSec: number | null } {
  const evalDir = join(dir, "eval");
  if (!existsSync(join(evalDir, "run.sqlite"))) return { rollouts: [], executors: null, elapsedSec: null };
  try {
    const { rollouts, meta } = readDatabase(evalDir, notes, "test-time", origin);
    const num = (k: string) => (meta.has(k) && Number.isFinite(Number(meta.get(k))) ? Number(meta.get(k)) : null);
    return { rollouts: rollouts.map((r) => ({ ...r, id: firstId + r.id })), executors: num("executors"), elapsedSec: num("elapsed_sec") };
  } catch (e) {
    notes.push(`eval/run.sqlite could not be read (${e instanceof Error ? e.message : String(e)}); the test-time executions are left out`);
    return { rollouts: [], executors: null, elapsedSec: null };
  }
}

function readEval(dir: string, notes: string[]): EvalResult | null {
  const path = join(dir, "eval.json");
  if (!existsSync(path)) return null;
  const parsed = parseJson(EvalResult, readFileSync(path, "utf8"));
  if (!parsed.ok) {
    notes.push(`eval.json ${parsed.error}; its evaluation is left out`);
    return null;
  }
  return parsed.value;
}

/** The machine a run was made on, as training and the baselines record it. */
export const Machine = z.object({ cores: z.number().int().positive(), memoryGiB: z.number().positive() });

/** What a run's stored config says about its budget and its use of the test answers. */
function runFacts(
  configText: string | undefined,
  meta: ReadonlyMap<string, string>,
): { executors: number | null; testFeedback: LoadedRun["testFeedback"]; split: LoadedRun["split"]; policy: string | null } {
  const metaExecutors = Number(meta.get("executors"));
  const fallback = Number.isFinite(metaExecutors) && metaExecutors > 0 ? metaExecutors : null;
  if (configText === undefined) return { executors: fallback, testFeedback: "none", split: null, policy: null };
  const training = parseJson(StoredRunConfig, configText);
  if (training.ok) {
    const c = training.value;
    // A 0.1 run (its flat config has no version) trained on every answer and scored no split.
    const versioned = parseJson(z.object({ version: z.number() }), configText).ok;
    const split = versioned ? { reportFraction: c.split.reportFraction, salt: c.split.salt } : null;
    return { executors: c.loop.executors, testFeedback: testFeedbackOf(c.split), split, policy: c.policy.kind };
  }
  const search = parseJson(BaselineConfig, configText);
  if (search.ok)
    return { executors: search.value.executors, testFeedback: "none", split: search.value.split ?? null, policy: search.value.sampler };
  return { executors: fallback, testFeedback: "none", split: null, policy: null };
}

/**
 * Reads one run directory (run.sqlite and/or eval.json). A reader that keeps the run's store open (read-only)
 * passes it, and it stays open.
 */
export function loadRun(dirIn: string, store?: RunStore): LoadedRun {
  const dir = resolve(dirIn);
  const notes: string[] = [];
  const hasDb = existsSync(join(dir, "run.sqlite"));
  let meta = new Map<string, string>();
  let rollouts: ReportRollout[] = [];
  let updates: ReportUpdate[] = [];
  let t0 = 0;
  if (hasDb) {
    try {
      ({ meta, rollouts, updates, t0 } = readDatabase(dir, notes, "train", undefined, store));
    } catch (e) {
      notes.push(`run.sqlite could not be read (${e instanceof Error ? e.message : String(e)}); only eval.json is used`);
    }
  }
  const testTime = readTestTime(dir, t0, Math.max(0, ...rollouts.map((r) => r.id)), notes);
  rollouts = [...rollouts, ...testTime.rollouts];
  const evaluation = readEval(dir, notes);
  if (!hasDb && evaluation === null && !existsSync(join(dir, "eval.json"))) {
    throw new UserError(
      `${dir}: no run.sqlite or eval.json`,
      "pass a run directory written by `mlerl train`, `mlerl baseline` or `mlerl eval --out`",
    );
  }
  const configText = meta.get("config");
  const config = configText === undefined ? null : readJsonObject(configText);
  if (configText !== undefined && config === null) notes.push('meta "config" is not a JSON object');
  const elapsed = Number(meta.get("elapsed_sec"));
  const method = meta.get("method") ?? evaluation?.method ?? methodFromConfig(config) ?? "unknown";
  if (!meta.has("method") && hasDb)
    notes.push(
      `no "method" in run.sqlite meta; reported as "${method}" (${evaluation ? "from eval.json" : config ? "from its training config" : "nothing else says"})`,
    );
  if (hasDb && rollouts.length === 0) notes.push("no rollouts recorded");
  const facts = runFacts(configText, meta);
  const trainSec = Number.isFinite(elapsed) && meta.has("elapsed_sec") ? elapsed : null;
  const executorSec =
    trainSec === null || facts.executors === null
      ? null
      : trainSec * facts.executors + (testTime.elapsedSec ?? 0) * (testTime.executors ?? facts.executors);
  const machine = meta.has("machine") ? parseJson(Machine, meta.get("machine")!) : null;
  return {
    machine: machine?.ok ? machine.value : null,
    policy: facts.policy,
    executors: facts.executors,
    executorSec,
    testFeedback: facts.testFeedback,
    split: facts.split,
    dir,
    name: basename(dir),
    method,
    label: meta.get("label") ?? null,
    config,
    elapsedSec: Number.isFinite(elapsed) && meta.has("elapsed_sec") ? elapsed : null,
    rollouts,
    updates,
    evaluation,
    notes,
  };
}
