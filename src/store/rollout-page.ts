/**
 * One page of a run's rollouts, filtered and sorted in SQL, so a browser of a run with tens of thousands of
 * rollouts reads only the rows it shows. Filters read the stored record's JSON with SQLite's json_extract,
 * with the paths of the current record first and those of mlerl 0.1's flat outcome after.
 */
import type Database from "better-sqlite3";
import { z } from "zod";
import { FAILURE_KINDS, PROMPT_KINDS } from "../core/rollout.js";

export const ROLLOUT_OUTCOMES = ["running", "valid", "failed", ...FAILURE_KINDS.filter((k) => k !== "none")] as const;
export const ROLLOUT_SORTS = ["id", "reward", "wall_sec", "policy_version", "task_id", "milestones", "finished_at"] as const;

export const RolloutPageQuery = z.object({
  task: z.string().max(500).optional(),
  kind: z.enum(PROMPT_KINDS).optional(),
  outcome: z.enum(ROLLOUT_OUTCOMES).optional(),
  worker: z.string().max(500).optional(),
  step: z.enum(["draft", "debug", "improve", "random"]).optional(),
  sort: z.enum(ROLLOUT_SORTS).default("id"),
  dir: z.enum(["asc", "desc"]).default("desc"),
  offset: z.coerce.number().int().nonnegative().max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type RolloutPageQuery = z.infer<typeof RolloutPageQuery>;

export interface RolloutPage {
  /** Rollout ids of the page, in order. */
  ids: number[];
  /** Rollouts matching the filters. */
  total: number;
}

export interface RolloutFacets {
  tasks: string[];
  workers: string[];
  steps: string[];
}

const FAILURE = "COALESCE(json_extract(outcome_json, '$.reward.failureKind'), json_extract(outcome_json, '$.failureKind'))";
const VALID = "COALESCE(json_extract(outcome_json, '$.reward.validSubmission'), json_extract(outcome_json, '$.validSubmission'))";
const MILESTONES =
  "COALESCE(json_array_length(outcome_json, '$.reward.milestonesReached'), json_array_length(outcome_json, '$.milestones'), 0)";
const WORKER = "json_extract(outcome_json, '$.execution.worker')";
const STEP = "COALESCE(json_extract(outcome_json, '$.search.step'), json_extract(outcome_json, '$.step'))";

const SORT_SQL: Record<(typeof ROLLOUT_SORTS)[number], string> = {
  id: "id",
  reward: "reward",
  wall_sec: "wall_sec",
  policy_version: "policy_version",
  task_id: "task_id",
  milestones: MILESTONES,
  finished_at: "finished_at",
};

function where(q: RolloutPageQuery): { sql: string; params: (string | number)[] } {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (q.task !== undefined) {
    parts.push("task_id = ?");
    params.push(q.task);
  }
  if (q.kind !== undefined) {
    parts.push("kind = ?");
    params.push(q.kind);
  }
  if (q.worker !== undefined) {
    parts.push(`${WORKER} = ?`);
    params.push(q.worker);
  }
  if (q.step !== undefined) {
    parts.push(`${STEP} = ?`);
    params.push(q.step);
  }
  if (q.outcome === "running") parts.push("status = 'running'");
  // Each of these holds only for a stored record (the expression is null without one).
  else if (q.outcome === "valid") parts.push(`${VALID} = 1`);
  else if (q.outcome === "failed") parts.push(`${VALID} = 0`);
  else if (q.outcome !== undefined) {
    parts.push(`${FAILURE} = ?`);
    params.push(q.outcome);
  }
  return { sql: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/**
 * Indexes on the expressions the filters and sorts use, created by the writer (readers cannot): a filtered count,
 * a sorted page and the filter values are then index look-ups, without reading the rows, whose action (program and
 * tokens) is most of their bytes. Stores made before these indexes are read the slow way, with the same results.
 */
export const ROLLOUT_PAGE_INDEXES = [
  ["rollouts_task", "task_id"],
  ["rollouts_kind", "kind"],
  ["rollouts_reward", "reward"],
  ["rollouts_wall", "wall_sec"],
  ["rollouts_version", "policy_version"],
  ["rollouts_finished", "finished_at"],
  ["rollouts_failure", FAILURE],
  ["rollouts_valid", VALID],
  ["rollouts_milestones", MILESTONES],
  ["rollouts_worker", WORKER],
  ["rollouts_step", STEP],
]
  .map(([name, expr]) => `CREATE INDEX IF NOT EXISTS ${name} ON rollouts(${expr});`)
  .join("\n");

const Ids = z.array(z.object({ id: z.number().int() }));
const Count = z.object({ n: z.number() });
const Values = z.array(z.object({ v: z.union([z.string(), z.number()]).nullable() }));

/** The ids of one page of rollouts and how many match. */
export function rolloutPage(db: Database.Database, q: RolloutPageQuery): RolloutPage {
  const w = where(q);
  // Ties break by id, so paging never shows a row twice or skips one.
  const order = `${SORT_SQL[q.sort]} ${q.dir.toUpperCase()}, id ${q.dir.toUpperCase()}`;
  const ids = Ids.parse(
    db.prepare(`SELECT id FROM rollouts ${w.sql} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...w.params, q.limit, q.offset),
  );
  const total = Count.parse(db.prepare(`SELECT COUNT(*) AS n FROM rollouts ${w.sql}`).get(...w.params)).n;
  return { ids: ids.map((r) => r.id), total };
}

/** The values the filters can take in this run. */
export function rolloutFacets(db: Database.Database): RolloutFacets {
  const distinct = (expr: string) =>
    Values.parse(db.prepare(`SELECT DISTINCT ${expr} AS v FROM rollouts WHERE ${expr} IS NOT NULL ORDER BY v`).all()).map((r) =>
      String(r.v),
    );
  return { tasks: distinct("task_id"), workers: distinct(WORKER), steps: distinct(STEP) };
}
