import Database from "better-sqlite3";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { PromptKind } from "../rl/types.js";

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
CREATE TABLE IF NOT EXISTS updates (
  version INTEGER PRIMARY KEY,
  created_at REAL NOT NULL,
  stats_json TEXT NOT NULL,
  checkpoint TEXT
);
`;

export interface RolloutRow {
  id: number;
  taskId: string;
  kind: PromptKind;
  parentId: number | null;
  policyVersion: number;
  status: "running" | "finished" | "trained";
  actionJson: string;
  reward: number | null;
  outcomeJson: string | null;
  wallSec: number | null;
  startedAt: number;
  finishedAt: number | null;
  trainedIn: number | null;
}

const RawRollout = z.object({
  id: z.number(),
  task_id: z.string(),
  kind: z.enum(["scratch", "improve"]),
  parent_id: z.number().nullable(),
  policy_version: z.number(),
  status: z.enum(["running", "finished", "trained"]),
  action_json: z.string(),
  reward: z.number().nullable(),
  outcome_json: z.string().nullable(),
  wall_sec: z.number().nullable(),
  started_at: z.number(),
  finished_at: z.number().nullable(),
  trained_in: z.number().nullable(),
});

function toRow(raw: unknown): RolloutRow {
  const r = RawRollout.parse(raw);
  return {
    id: r.id,
    taskId: r.task_id,
    kind: r.kind,
    parentId: r.parent_id,
    policyVersion: r.policy_version,
    status: r.status,
    actionJson: r.action_json,
    reward: r.reward,
    outcomeJson: r.outcome_json,
    wallSec: r.wall_sec,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    trainedIn: r.trained_in,
  };
}

export interface UpdateRecord {
  version: number;
  createdAt: number;
  stats: Record<string, unknown>;
  checkpoint: string | null;
}

/**
 * One SQLite file per run directory. Every state change of a rollout is one statement (or one transaction),
 * so a run killed at any instant reopens consistent: `running` rollouts are re-executed from their stored
 * action, `finished` ones wait for the learner, `trained` ones are done. Nothing is lost or counted twice.
 */
export class RunStore {
  readonly db: Database.Database;

  constructor(readonly runDir: string) {
    mkdirSync(runDir, { recursive: true });
    this.db = new Database(join(runDir, "run.sqlite"));
    this.db.pragma("journal_mode = WAL");
    // NORMAL is durable across a process crash (kill -9), which is what resume needs; FULL only adds power-loss safety.
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  startRollout(r: {
    taskId: string;
    kind: PromptKind;
    parentId: number | null;
    policyVersion: number;
    actionJson: string;
    startedAt: number;
  }): number {
    const info = this.db
      .prepare(
        "INSERT INTO rollouts(task_id, kind, parent_id, policy_version, status, action_json, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?)",
      )
      .run(r.taskId, r.kind, r.parentId, r.policyVersion, r.actionJson, r.startedAt);
    return Number(info.lastInsertRowid);
  }

  /** Marks a running rollout finished. Returns false if it was not running (already finished: never count twice). */
  finishRollout(id: number, r: { reward: number; outcomeJson: string; wallSec: number; finishedAt: number }): boolean {
    const info = this.db
      .prepare(
        "UPDATE rollouts SET status = 'finished', reward = ?, outcome_json = ?, wall_sec = ?, finished_at = ? WHERE id = ? AND status = 'running'",
      )
      .run(r.reward, r.outcomeJson, r.wallSec, r.finishedAt, id);
    return info.changes === 1;
  }

  /** Records an update and marks its rollouts trained, atomically. */
  recordUpdate(u: {
    version: number;
    createdAt: number;
    stats: Record<string, unknown>;
    checkpoint: string | null;
    rolloutIds: readonly number[];
  }): void {
    const tx = this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO updates(version, created_at, stats_json, checkpoint) VALUES (?, ?, ?, ?)")
        .run(u.version, u.createdAt, JSON.stringify(u.stats), u.checkpoint);
      const mark = this.db.prepare("UPDATE rollouts SET status = 'trained', trained_in = ? WHERE id = ? AND status = 'finished'");
      for (const id of u.rolloutIds) {
        if (mark.run(u.version, id).changes !== 1) throw new Error(`rollout ${id} was not waiting for training`);
      }
    });
    tx();
  }

  rollouts(status?: RolloutRow["status"]): RolloutRow[] {
    const rows = status
      ? this.db.prepare("SELECT * FROM rollouts WHERE status = ? ORDER BY id").all(status)
      : this.db.prepare("SELECT * FROM rollouts ORDER BY id").all();
    return rows.map(toRow);
  }

  /** Rollouts waiting for the learner, in the order they finished. */
  finishedUntrained(): RolloutRow[] {
    return this.db.prepare("SELECT * FROM rollouts WHERE status = 'finished' ORDER BY finished_at, id").all().map(toRow);
  }

  countFinished(): number {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM rollouts WHERE status != 'running'").get() as { n: number };
    return row.n;
  }

  updates(): UpdateRecord[] {
    const rows = this.db.prepare("SELECT * FROM updates ORDER BY version").all() as {
      version: number;
      created_at: number;
      stats_json: string;
      checkpoint: string | null;
    }[];
    return rows.map((r) => ({
      version: r.version,
      createdAt: r.created_at,
      stats: JSON.parse(r.stats_json) as Record<string, unknown>,
      checkpoint: r.checkpoint,
    }));
  }

  latestUpdate(): UpdateRecord | undefined {
    const all = this.updates();
    return all[all.length - 1];
  }

  /** Programs and outputs live as files beside the database: <run>/rollouts/<id>/. */
  writeArtifacts(id: number, files: Record<string, string>): string {
    const dir = join(this.runDir, "rollouts", String(id));
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  }

  rolloutDir(id: number): string {
    return join(this.runDir, "rollouts", String(id));
  }
}
