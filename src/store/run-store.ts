import Database from "better-sqlite3";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, join, relative } from "node:path";
import { z } from "zod";
import { PromptKind, SampledAction, StoredRolloutRecord, summaryOf, type RolloutRecord, type RolloutSummary } from "../core/rollout.js";
import { UpdateStats } from "../core/update.js";
import {
  ROLLOUT_PAGE_INDEXES,
  rolloutFacets,
  rolloutPage,
  type RolloutFacets,
  type RolloutPage,
  type RolloutPageQuery,
} from "./rollout-page.js";
import {
  overviewFromRow,
  rowsFromColumns,
  SUMMARY_COLUMNS,
  SUMMARY_COLUMNS_SELECT,
  SUMMARY_TABLE,
  summaryCells,
  SummaryRow,
  type RolloutOverview,
} from "./summary-row.js";

export type { RolloutOverview };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollouts (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id INTEGER,
  policy_version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'trained')),
  action_json TEXT NOT NULL,
  reward REAL,
  outcome_json TEXT,
  wall_sec REAL,
  started_at REAL NOT NULL,
  finished_at REAL,
  trained_in INTEGER
);
CREATE INDEX IF NOT EXISTS rollouts_status ON rollouts(status);
${SUMMARY_TABLE}CREATE TABLE IF NOT EXISTS updates (
  version INTEGER PRIMARY KEY,
  created_at REAL NOT NULL,
  stats_json TEXT NOT NULL,
  checkpoint TEXT
);
`;

export const ROLLOUT_STATUSES = ["running", "finished", "trained"] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** One rollout as stored: where it came from, its action, and (once finished) its record, all parsed. */
export interface StoredRollout {
  id: number;
  taskId: string;
  kind: PromptKind;
  parentId: number | null;
  policyVersion: number;
  status: RolloutStatus;
  action: SampledAction;
  /** Null while running, or when the stored record could not be read (`problem` says why). */
  record: RolloutRecord | null;
  problem: string | null;
  /** On the run's own clock (seconds). */
  startedAt: number;
  finishedAt: number | null;
  trainedIn: number | null;
}

export interface StoredUpdate {
  version: number;
  createdAt: number;
  stats: UpdateStats;
  /** Absolute path of the update's checkpoint directory (it may have been pruned). */
  checkpoint: string | null;
}

const RawRollout = z.object({
  id: z.number(),
  task_id: z.string(),
  kind: PromptKind,
  parent_id: z.number().nullable(),
  policy_version: z.number(),
  status: z.enum(ROLLOUT_STATUSES),
  action_json: z.string(),
  reward: z.number().nullable(),
  outcome_json: z.string().nullable(),
  wall_sec: z.number().nullable(),
  started_at: z.number(),
  finished_at: z.number().nullable(),
  trained_in: z.number().nullable(),
});

const RawUpdate = z.object({ version: z.number(), created_at: z.number(), stats_json: z.string(), checkpoint: z.string().nullable() });
const MetaRow = z.object({ value: z.string() });
const Count = z.object({ n: z.number() });

/** A stored rollout as overviews read it. */
function overviewOf(r: Omit<StoredRollout, "action">): RolloutOverview {
  return {
    id: r.id,
    taskId: r.taskId,
    kind: r.kind,
    parentId: r.parentId,
    policyVersion: r.policyVersion,
    summary: r.record === null ? null : summaryOf(r.record),
    problem: r.problem,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

/** A JSON text read with a schema: the value, or why it could not be read. */
export function parseJson<S extends z.ZodType>(schema: S, text: string): { ok: true; value: z.output<S> } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `field ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}` };
}

/** Thrown when a stored value cannot be read: names the run, the row and the field. */
export class StoreReadError extends Error {}

/**
 * One SQLite file per run directory. Every state change of a rollout is one statement (or one transaction),
 * so a run killed at any instant reopens consistent: `running` rollouts are re-executed from their stored
 * action, `finished` ones wait for the learner, `trained` ones are done. Nothing is lost or counted twice.
 * Everything read back is parsed with the schemas of src/core, records of older versions migrated on read.
 */
export class RunStore {
  private readonly db: Database.Database;
  private updatesRead: { version: number; updates: StoredUpdate[] } | null = null;

  private constructor(
    readonly runDir: string,
    readonly readonly: boolean,
  ) {
    if (readonly) {
      this.db = new Database(join(runDir, "run.sqlite"), { readonly: true, fileMustExist: true });
    } else {
      mkdirSync(runDir, { recursive: true });
      this.db = new Database(join(runDir, "run.sqlite"));
      this.db.pragma("journal_mode = WAL");
      // NORMAL is durable across a process crash (kill -9), which is what resume needs; FULL only adds power-loss safety.
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
      this.db.exec(ROLLOUT_PAGE_INDEXES);
      this.completeSummaries();
    }
  }

  /** Opens (creating if needed) the run store of a directory for writing. */
  static open(runDir: string): RunStore {
    return new RunStore(runDir, false);
  }

  /** Opens an existing store without ever writing to it (reports and the dashboard read live runs this way). */
  static openReadonly(runDir: string): RunStore {
    return new RunStore(runDir, true);
  }

  /** Whether a directory holds a run store. */
  static exists(runDir: string): boolean {
    return existsSync(join(runDir, "run.sqlite"));
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key);
    return row === undefined ? undefined : MetaRow.parse(row).value;
  }

  /** A JSON meta value read with its schema; undefined when absent, StoreReadError when unreadable. */
  readMeta<S extends z.ZodType>(key: string, schema: S): z.output<S> | undefined {
    const text = this.getMeta(key);
    if (text === undefined) return undefined;
    const r = parseJson(schema, text);
    if (!r.ok) throw new StoreReadError(`${this.runDir}/run.sqlite: meta "${key}": ${r.error}`);
    return r.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Every meta key and value (for readers that show a run as it is). */
  meta(): Map<string, string> {
    const rows = z.array(z.object({ key: z.string(), value: z.string() })).parse(this.db.prepare("SELECT key, value FROM meta").all());
    return new Map(rows.map((r) => [r.key, r.value]));
  }

  startRollout(r: { taskId: string; kind: PromptKind; parentId: number | null; action: SampledAction; startedAt: number }): number {
    const tx = this.db.transaction(() => {
      const info = this.db
        .prepare(
          "INSERT INTO rollouts(task_id, kind, parent_id, policy_version, status, action_json, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?)",
        )
        .run(r.taskId, r.kind, r.parentId, r.action.policyVersion, JSON.stringify(r.action), r.startedAt);
      const id = Number(info.lastInsertRowid);
      this.db
        .prepare("INSERT INTO rollout_summaries(id, task_id, kind, parent_id, policy_version, started_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(id, r.taskId, r.kind, r.parentId, r.action.policyVersion, r.startedAt);
      return id;
    });
    return tx();
  }

  /** Marks a running rollout finished. Returns false if it was not running (already finished: never count twice). */
  finishRollout(id: number, record: RolloutRecord, finishedAt: number): boolean {
    const tx = this.db.transaction(() => {
      const info = this.db
        .prepare(
          "UPDATE rollouts SET status = 'finished', reward = ?, outcome_json = ?, wall_sec = ?, finished_at = ? WHERE id = ? AND status = 'running'",
        )
        .run(record.reward.reward, JSON.stringify(record), record.reward.wallSec, finishedAt, id);
      if (info.changes !== 1) return false;
      this.db
        .prepare(
          `UPDATE rollout_summaries SET finished_at = ?, problem = NULL, ${SUMMARY_COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`,
        )
        .run(finishedAt, ...summaryCells(summaryOf(record)), id);
      return true;
    });
    return tx();
  }

  /** Records an update and marks its rollouts trained, atomically. */
  recordUpdate(u: { version: number; createdAt: number; stats: UpdateStats; checkpoint: string | null }): void {
    const tx = this.db.transaction(() => {
      // Relative to the run dir, so a run directory can be moved or copied and still resume from its checkpoint.
      const checkpoint = u.checkpoint === null ? null : relative(this.runDir, u.checkpoint);
      this.db
        .prepare("INSERT INTO updates(version, created_at, stats_json, checkpoint) VALUES (?, ?, ?, ?)")
        .run(u.version, u.createdAt, JSON.stringify(u.stats), checkpoint);
      const mark = this.db.prepare("UPDATE rollouts SET status = 'trained', trained_in = ? WHERE id = ? AND status = 'finished'");
      for (const id of u.stats.rolloutIds) {
        if (mark.run(u.version, id).changes !== 1) throw new Error(`rollout ${id} was not waiting for training`);
      }
    });
    tx();
  }

  rollouts(status?: RolloutStatus): StoredRollout[] {
    const rows = status
      ? this.db.prepare("SELECT * FROM rollouts WHERE status = ? ORDER BY id").all(status)
      : this.db.prepare("SELECT * FROM rollouts ORDER BY id").all();
    return rows.map((r) => this.toRollout(r));
  }

  /**
   * Every rollout without its action (the program and the sampler's tokens, most of a row's bytes): what readers
   * of outcomes (reports, the dashboard's curves) need, read in a fraction of the time.
   */
  rolloutOutcomes(): Omit<StoredRollout, "action">[] {
    return this.db
      .prepare(
        "SELECT id, task_id, kind, parent_id, policy_version, status, '{}' AS action_json, reward, outcome_json, wall_sec, started_at, finished_at, trained_in FROM rollouts ORDER BY id",
      )
      .all()
      .map((r) => {
        const { action: _action, ...rest } = this.toRollout(r, false);
        return rest;
      });
  }

  /**
   * Every rollout as overviews read it (no action, the record's summary only), from the summaries the writer keeps:
   * what a run of tens of thousands of rollouts needs for its curves and tables, read in a few milliseconds. A
   * store whose summaries are missing or incomplete (written before they existed; this connection may not write)
   * is read from its full records instead, with the same result.
   */
  rolloutOverviews(): RolloutOverview[] {
    // One read transaction: the completeness check and the rows see the same snapshot of a store being written.
    const read = this.db.transaction((): RolloutOverview[] => {
      if (!this.summariesComplete()) return this.overviewsFromRecords();
      const columns = z.string().parse(this.db.prepare(SUMMARY_COLUMNS_SELECT).pluck().get());
      const rows = rowsFromColumns(columns);
      if (rows !== null) return rows.map((get) => overviewFromRow(get) ?? this.overviewFromRecord(get("id")));
      // Something does not fit its column: read row by row, and let the rows that do not read give way to their records.
      return this.db
        .prepare("SELECT * FROM rollout_summaries ORDER BY id")
        .all()
        .map((raw) => {
          const parsed = SummaryRow.safeParse(raw);
          return (parsed.success ? overviewFromRow((k) => parsed.data[k]) : undefined) ?? this.overviewFromRecord(raw);
        });
    });
    return read();
  }

  /** The overview of one rollout from its full record, for a summary row that does not read. */
  private overviewFromRecord(idOrRow: unknown): RolloutOverview {
    const id = z.union([z.number(), z.object({ id: z.number() }).transform((r) => r.id)]).parse(idOrRow);
    const row = this.db
      .prepare(
        "SELECT id, task_id, kind, parent_id, policy_version, status, '{}' AS action_json, reward, outcome_json, wall_sec, started_at, finished_at, trained_in FROM rollouts WHERE id = ?",
      )
      .get(id);
    if (row === undefined) throw new StoreReadError(`${this.runDir}/run.sqlite: rollout ${id} has a summary but no row`);
    return overviewOf(this.toRollout(row, false));
  }

  /** The overviews computed from the full records (stores without complete summaries). */
  private overviewsFromRecords(): RolloutOverview[] {
    return this.rolloutOutcomes().map(overviewOf);
  }

  /** Whether every rollout has its summary row (counts come from indexes, without reading a row). */
  private summariesComplete(): boolean {
    const table = this.db.prepare("SELECT 1 AS n FROM sqlite_master WHERE type = 'table' AND name = 'rollout_summaries'").get();
    if (table === undefined) return false;
    const rows = Count.parse(this.db.prepare("SELECT COUNT(*) AS n FROM rollouts").get()).n;
    return rows === Count.parse(this.db.prepare("SELECT COUNT(*) AS n FROM rollout_summaries").get()).n;
  }

  /**
   * Writes the summaries a store lacks (one made before they existed, reopened for writing), from the full
   * records, in one transaction. A store with every summary costs two counts.
   */
  private completeSummaries(): void {
    if (this.summariesComplete()) return;
    const tx = this.db.transaction(() => {
      const columns = ["id", "task_id", "kind", "parent_id", "policy_version", "started_at", "finished_at", "problem", ...SUMMARY_COLUMNS];
      const insert = this.db.prepare(`INSERT INTO rollout_summaries(${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
      const unset = SUMMARY_COLUMNS.map(() => null);
      const missing = this.db
        .prepare(
          "SELECT id, task_id, kind, parent_id, policy_version, status, '{}' AS action_json, reward, outcome_json, wall_sec, started_at, finished_at, trained_in FROM rollouts WHERE id NOT IN (SELECT id FROM rollout_summaries) ORDER BY id",
        )
        .all();
      for (const raw of missing) {
        const r = this.toRollout(raw, false);
        const cells = r.record === null ? unset : summaryCells(summaryOf(r.record));
        insert.run(r.id, r.taskId, r.kind, r.parentId, r.policyVersion, r.startedAt, r.finishedAt, r.problem, ...cells);
      }
    });
    tx();
  }

  /** One rollout, or undefined. */
  rollout(id: number): StoredRollout | undefined {
    const row = this.db.prepare("SELECT * FROM rollouts WHERE id = ?").get(id);
    return row === undefined ? undefined : this.toRollout(row);
  }

  /** One page of rollout ids, filtered and sorted in SQL (src/store/rollout-page.ts). */
  rolloutPage(q: RolloutPageQuery): RolloutPage {
    return rolloutPage(this.db, q);
  }

  /** Ids of the rollouts built on this one (improve prompts, a search's debug and improve steps). */
  childrenOf(id: number): number[] {
    return z
      .array(z.object({ id: z.number().int() }))
      .parse(this.db.prepare("SELECT id FROM rollouts WHERE parent_id = ? ORDER BY id").all(id))
      .map((r) => r.id);
  }

  /** The tasks, workers and search steps the rollouts of this run have (for filters). */
  rolloutFacets(): RolloutFacets {
    return rolloutFacets(this.db);
  }

  /**
   * A number that changes whenever another connection commits to the store (SQLite's data_version): a reader
   * that keeps this store open knows without reading a row whether anything moved. Comparable only between
   * calls on the same RunStore.
   */
  changeCounter(): number {
    return z.number().parse(this.db.pragma("data_version", { simple: true }));
  }

  /** Rollouts waiting for the learner, in the order they finished. */
  finishedUntrained(): StoredRollout[] {
    return this.db
      .prepare("SELECT * FROM rollouts WHERE status = 'finished' ORDER BY finished_at, id")
      .all()
      .map((r) => this.toRollout(r));
  }

  countFinished(): number {
    return Count.parse(this.db.prepare("SELECT COUNT(*) AS n FROM rollouts WHERE status != 'running'").get()).n;
  }

  updates(): StoredUpdate[] {
    // A read-only connection never commits, so its data_version moves exactly when a writer changed the store: the
    // updates read last are still the store's until then (readers of a live run ask on every poll).
    const version = this.readonly ? this.changeCounter() : null;
    if (version !== null && this.updatesRead?.version === version) return [...this.updatesRead.updates];
    const updates = this.readUpdates();
    if (version !== null) this.updatesRead = { version, updates };
    return [...updates];
  }

  private readUpdates(): StoredUpdate[] {
    return this.db
      .prepare("SELECT * FROM updates ORDER BY version")
      .all()
      .map((raw) => {
        const u = RawUpdate.parse(raw);
        const stats = parseJson(UpdateStats, u.stats_json);
        if (!stats.ok) throw new StoreReadError(`${this.runDir}/run.sqlite: update ${u.version}: ${stats.error}`);
        return { version: u.version, createdAt: u.created_at, stats: stats.value, checkpoint: this.checkpointPath(u.checkpoint) };
      });
  }

  latestUpdate(): StoredUpdate | undefined {
    return this.updates().at(-1);
  }

  /** Programs and outputs live as files beside the database: <run>/rollouts/<id>/. */
  writeArtifacts(id: number, files: Record<string, string>): string {
    const dir = this.rolloutDir(id);
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  rolloutDir(id: number): string {
    return join(this.runDir, "rollouts", String(id));
  }

  private toRollout(raw: unknown, withAction = true): StoredRollout {
    const r = RawRollout.parse(raw);
    const where = `${this.runDir}/run.sqlite: rollout ${r.id}`;
    const action: { ok: true; value: SampledAction } | { ok: false; error: string } = withAction
      ? parseJson(SampledAction, r.action_json)
      : { ok: true, value: { code: "", policyVersion: r.policy_version, payload: null } };
    if (!action.ok) throw new StoreReadError(`${where}: action: ${action.error}`);
    let record: RolloutRecord | null = null;
    let problem: string | null = null;
    if (r.outcome_json !== null) {
      const parsed = parseJson(StoredRolloutRecord, r.outcome_json);
      if (parsed.ok) record = parsed.value;
      else problem = `${where}: record: ${parsed.error}`;
    }
    return {
      id: r.id,
      taskId: r.task_id,
      kind: r.kind,
      parentId: r.parent_id,
      policyVersion: r.policy_version,
      status: r.status,
      action: action.value,
      record,
      problem,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      trainedIn: r.trained_in,
    };
  }

  /**
   * Checkpoints are stored relative to the run dir. Runs of mlerl 0.1 stored absolute paths, always
   * <run dir>/checkpoints/<name>: they are read as the checkpoint of that name under this run dir, even when the
   * old path still exists, since that is another run dir (the original of a copy), whose checkpoints a resumed
   * copy must neither load nor prune.
   */
  private checkpointPath(stored: string | null): string | null {
    if (stored === null) return null;
    if (!isAbsolute(stored)) return join(this.runDir, stored);
    return join(this.runDir, "checkpoints", basename(stored));
  }
}
