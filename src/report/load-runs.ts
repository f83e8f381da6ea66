/**
 * Reads run directories for reports: meta, rollouts, updates (run.sqlite, opened read-only so a report never
 * changes a run, even one still training) and the optional eval.json. Everything read is checked with zod; a
 * damaged row or file becomes a note on the run instead of a crash, so one bad run cannot hide the others.
 */
import Database from "better-sqlite3";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { EvalResult } from "../eval/result.js";

/** The part of a rollout's outcome JSON (src/rl/ports.ts RolloutOutcome) that reports use. */
export const ReportOutcome = z.object({
  reward: z.number(),
  wallSec: z.number(),
  validSubmission: z.boolean(),
  score: z.number().nullable(),
  validationMetric: z.number().nullable().default(null),
  failureKind: z.string(),
  milestones: z.array(z.string()).default([]),
  /** Baseline runs search their seeds one after another in one run, each on its own clock from 0. */
  seed: z.number().int().optional(),
});
export type ReportOutcome = z.infer<typeof ReportOutcome>;

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
  /** Null while running, or when the stored outcome could not be read (a note says so). */
  outcome: ReportOutcome | null;
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
  /** Things the reader of the report should know about this run (missing or unreadable data). */
  notes: string[];
}

const RawRollout = z.object({
  id: z.number(),
  task_id: z.string(),
  kind: z.string(),
  policy_version: z.number(),
  status: z.string(),
  reward: z.number().nullable(),
  outcome_json: z.string().nullable(),
  wall_sec: z.number().nullable(),
  started_at: z.number(),
  finished_at: z.number().nullable(),
});

const RawUpdate = z.object({ version: z.number(), stats_json: z.string() });
const UpdateStats = z.object({
  n: z.number().optional(),
  meanReward: z.number().optional(),
  meanDt: z.number().optional(),
  kl: z.number().optional(),
});

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
  if (config === null || !("durationAware" in config)) return null;
  if (config.durationAware === false) return "rl-no-duration";
  if (config.instrumentation === false) return "rl-no-instrumentation";
  if (config.improveProb === 0) return "rl-no-improve";
  return "rl";
}

function readJsonObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function readDatabase(dir: string, notes: string[]) {
  const db = new Database(join(dir, "run.sqlite"), { readonly: true, fileMustExist: true });
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
    );
    const meta = new Map<string, string>();
    if (tables.has("meta"))
      for (const r of db.prepare("SELECT key, value FROM meta").all() as { key: string; value: string }[]) meta.set(r.key, r.value);
    const rawRollouts = tables.has("rollouts") ? db.prepare("SELECT * FROM rollouts ORDER BY id").all() : [];
    const rawUpdates = tables.has("updates") ? db.prepare("SELECT version, stats_json FROM updates ORDER BY version").all() : [];
    if (!tables.has("rollouts")) notes.push("run.sqlite has no rollouts table");

    const rows = rawRollouts.map((r) => RawRollout.parse(r));
    // Stored times may be on any clock (the host's epoch seconds, or the run's own): shift so the run starts at 0.
    const t0 = rows.length ? Math.min(...rows.map((r) => r.started_at)) : 0;
    let badOutcomes = 0;
    const rollouts: ReportRollout[] = rows.map((r) => {
      let outcome: ReportOutcome | null = null;
      if (r.outcome_json !== null) {
        const parsed = ReportOutcome.safeParse(readJsonObject(r.outcome_json));
        if (parsed.success) outcome = parsed.data;
        else badOutcomes += 1;
      }
      return {
        id: r.id,
        taskId: r.task_id,
        kind: r.kind,
        policyVersion: r.policy_version,
        startSec: r.started_at - t0,
        finishSec: r.finished_at === null ? null : r.finished_at - t0,
        wallSec: r.wall_sec,
        reward: r.reward,
        outcome,
      };
    });
    if (badOutcomes > 0) notes.push(`${badOutcomes} rollout outcome(s) in run.sqlite could not be read and are left out`);

    const updates: ReportUpdate[] = [];
    let badUpdates = 0;
    for (const raw of rawUpdates) {
      const u = RawUpdate.parse(raw);
      const stats = UpdateStats.safeParse(readJsonObject(u.stats_json));
      if (!stats.success) {
        badUpdates += 1;
        continue;
      }
      updates.push({
        version: u.version,
        n: stats.data.n ?? null,
        meanReward: stats.data.meanReward ?? null,
        meanDt: stats.data.meanDt ?? null,
        kl: stats.data.kl ?? null,
      });
    }
    if (badUpdates > 0) notes.push(`${badUpdates} update record(s) could not be read and are left out`);
    return { meta, rollouts, updates };
  } finally {
    db.close();
  }
}

function readEval(dir: string, notes: string[]): EvalResult | null {
  const path = join(dir, "eval.json");
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    notes.push(`eval.json is not valid JSON (${e instanceof Error ? e.message : String(e)}); its evaluation is left out`);
    return null;
  }
  const parsed = EvalResult.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    notes.push(`eval.json field ${issue.path.join(".") || "(root)"}: ${issue.message}; its evaluation is left out`);
    return null;
  }
  return parsed.data;
}

/** Reads one run directory (run.sqlite and/or eval.json). */
export function loadRun(dirIn: string): LoadedRun {
  const dir = resolve(dirIn);
  const notes: string[] = [];
  const hasDb = existsSync(join(dir, "run.sqlite"));
  let meta = new Map<string, string>();
  let rollouts: ReportRollout[] = [];
  let updates: ReportUpdate[] = [];
  if (hasDb) {
    try {
      ({ meta, rollouts, updates } = readDatabase(dir, notes));
    } catch (e) {
      notes.push(`run.sqlite could not be read (${e instanceof Error ? e.message : String(e)}); only eval.json is used`);
    }
  }
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
  return {
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
