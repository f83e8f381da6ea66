/**
 * A rollout's summary (core/rollout.ts RolloutSummary) as a row of plain SQL columns, both ways. Plain columns,
 * not a JSON text: a run of tens of thousands of rollouts is read with one flat schema check per row and no JSON
 * parsing, which is most of what reading a big run costs.
 */
import { z } from "zod";
import { FailureKind, MILESTONES, PromptKind, SearchStep, type Milestone, type RolloutSummary } from "../core/rollout.js";

export const SUMMARY_TABLE = `
CREATE TABLE IF NOT EXISTS rollout_summaries (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  parent_id INTEGER,
  policy_version INTEGER NOT NULL,
  started_at REAL NOT NULL,
  finished_at REAL,
  problem TEXT,
  reward REAL,
  score REAL,
  valid INTEGER,
  milestones TEXT,
  failure TEXT,
  validation_metric REAL,
  wall_sec REAL,
  has_scores INTEGER,
  scores_reward REAL,
  scores_report REAL,
  scores_all REAL,
  search_seed INTEGER,
  search_step TEXT,
  search_node INTEGER,
  graded INTEGER,
  submission_exists INTEGER,
  worker TEXT
);
`;

/** The columns a finished rollout's summary sets, in this order (SUMMARY_COLUMNS = ?, ...). */
export const SUMMARY_COLUMNS = [
  "reward",
  "score",
  "valid",
  "milestones",
  "failure",
  "validation_metric",
  "wall_sec",
  "has_scores",
  "scores_reward",
  "scores_report",
  "scores_all",
  "search_seed",
  "search_step",
  "search_node",
  "graded",
  "submission_exists",
  "worker",
] as const;

type Cell = string | number | null;

/** The summary's column values, in SUMMARY_COLUMNS order. */
export function summaryCells(s: RolloutSummary): Cell[] {
  const bit = (b: boolean) => (b ? 1 : 0);
  return [
    s.reward.reward,
    s.reward.score,
    bit(s.reward.validSubmission),
    s.reward.milestonesReached.join(","),
    s.reward.failureKind,
    s.reward.validationMetric,
    s.reward.wallSec,
    bit(s.scores !== null),
    s.scores?.reward ?? null,
    s.scores?.report ?? null,
    s.scores?.all ?? null,
    s.search?.seed ?? null,
    s.search?.step ?? null,
    s.search?.node ?? null,
    bit(s.grade !== null),
    s.grade === null ? null : bit(s.grade.submission_exists),
    s.execution.worker,
  ];
}

/** Milestone names joined by commas (or none). */
const MILESTONE_LIST = new RegExp(`^(?:(?:${MILESTONES.join("|")})(?:,(?=.)|$))*$`);
const num = z.number().nullable();
const text = z.string().nullable();

/**
 * One row of rollout_summaries as read. Flags (valid, has_scores, graded, submission_exists) are 0 or 1 as written;
 * they are read as numbers and only 1 counts, which keeps the check of a big run's columns cheap.
 */
export const SummaryRow = z.object({
  id: z.number(),
  task_id: z.string(),
  kind: PromptKind,
  parent_id: num,
  policy_version: z.number(),
  started_at: z.number(),
  finished_at: num,
  problem: text,
  reward: num,
  score: num,
  valid: num,
  milestones: z.string().regex(MILESTONE_LIST, "unknown milestone").nullable(),
  failure: FailureKind.nullable(),
  validation_metric: num,
  wall_sec: num,
  has_scores: num,
  scores_reward: num,
  scores_report: num,
  scores_all: num,
  search_seed: num,
  search_step: SearchStep.shape.step.nullable(),
  search_node: num,
  graded: num,
  submission_exists: num,
  worker: text,
});
export type SummaryRow = z.infer<typeof SummaryRow>;

const COLUMNS = Object.keys(SummaryRow.shape) as (keyof SummaryRow)[];

/** Every row of rollout_summaries as one JSON object of columns (SQLite writes it; numbers keep every digit). */
export const SUMMARY_COLUMNS_SELECT = `SELECT json_object(${COLUMNS.map((c) => `'${c}', json_group_array(${c})`).join(", ")}) AS columns FROM (SELECT * FROM rollout_summaries ORDER BY id)`;

type Columns = { [K in keyof SummaryRow]: SummaryRow[K][] };
const SummaryColumns = z.object(Object.fromEntries(COLUMNS.map((k) => [k, z.array(SummaryRow.shape[k])])));

/** One value of a summary row, by column. */
export type RowCells = <K extends keyof SummaryRow>(column: K) => SummaryRow[K];

/**
 * The rows of SUMMARY_COLUMNS_SELECT's answer, checked a column at a time (one schema check per column rather than
 * per row, and one JSON text rather than a row object each: a big run reads in a fraction of the time), or null
 * when something does not fit its column; the caller then reads the rows one by one.
 */
export function rowsFromColumns(json: string): RowCells[] | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = SummaryColumns.safeParse(raw);
  if (!parsed.success) return null;
  // The schema is SummaryRow's, column by column; zod cannot type an object built from a list of keys.
  const cols = parsed.data as Columns;
  const n = cols.id.length;
  if (COLUMNS.some((k) => cols[k].length !== n)) return null;
  return cols.id.map((_, i) => (k) => cols[k][i]!);
}

/** One rollout as overviews read it: where it came from, when, and (once finished) its record's summary. */
export interface RolloutOverview {
  id: number;
  taskId: string;
  kind: PromptKind;
  parentId: number | null;
  policyVersion: number;
  /** Null while running, or when the stored record could not be read (`problem` says why). */
  summary: RolloutSummary | null;
  problem: string | null;
  startedAt: number;
  finishedAt: number | null;
}

/** The overview a summary row holds, or undefined when the row is not one this store writes (its columns do not fit). */
export function overviewFromRow(get: RowCells): RolloutOverview | undefined {
  const summary = summaryFromRow(get);
  if (summary === undefined) return undefined;
  return {
    id: get("id"),
    taskId: get("task_id"),
    kind: get("kind"),
    parentId: get("parent_id"),
    policyVersion: get("policy_version"),
    summary,
    problem: get("problem"),
    startedAt: get("started_at"),
    finishedAt: get("finished_at"),
  };
}

function summaryFromRow(get: RowCells): RolloutSummary | null | undefined {
  const reward = get("reward");
  const valid = get("valid");
  if (reward === null) return valid === null ? null : undefined;
  const milestones = get("milestones");
  const failure = get("failure");
  const wallSec = get("wall_sec");
  const hasScores = get("has_scores");
  const graded = get("graded");
  const seed = get("search_seed");
  const step = get("search_step");
  if (valid === null || milestones === null || failure === null || wallSec === null) return undefined;
  if (hasScores === null || graded === null || (seed === null) !== (step === null)) return undefined;
  return {
    reward: {
      reward,
      score: get("score"),
      validSubmission: valid === 1,
      // Checked against MILESTONES by the row's schema.
      milestonesReached: milestones === "" ? [] : (milestones.split(",") as Milestone[]),
      failureKind: failure,
      validationMetric: get("validation_metric"),
      wallSec,
    },
    scores: hasScores === 1 ? { reward: get("scores_reward"), report: get("scores_report"), all: get("scores_all") } : null,
    ...(seed !== null && step !== null ? { search: { seed, step, node: get("search_node") } } : {}),
    grade: graded === 1 ? { submission_exists: get("submission_exists") === 1 } : null,
    execution: { worker: get("worker") },
  };
}
