import { z } from "zod";

/** The metrics MLE-bench uses for the competitions mlerl knows. */
export const MetricName = z.enum([
  "roc_auc",
  "mean_column_roc_auc",
  "accuracy",
  "multiclass_log_loss",
  "mean_column_rmsle",
  "quadratic_weighted_kappa",
  "pearson",
  "word_jaccard",
]);
export type MetricName = z.infer<typeof MetricName>;

export const Thresholds = z.object({
  gold: z.number(),
  silver: z.number(),
  bronze: z.number(),
  median: z.number(),
});
export type Thresholds = z.infer<typeof Thresholds>;

/** What a column is for; the built-in policy builds programs from these roles. */
export const ColumnRole = z.enum(["id", "numeric", "categorical", "text", "target", "aux"]);
export type ColumnRole = z.infer<typeof ColumnRole>;

export const ColumnSpec = z.object({
  name: z.string(),
  role: ColumnRole,
  /** Which public file(s) hold this column (e.g. ["train.csv", "test.csv"]). */
  files: z.array(z.string()).default([]),
});
export type ColumnSpec = z.infer<typeof ColumnSpec>;

export const TargetKind = z.enum(["binary", "multiclass", "regression", "multi_regression", "span", "ordinal"]);
export type TargetKind = z.infer<typeof TargetKind>;

export const DataSchema = z.object({
  /** The training table and the test table, both in public/. */
  trainFile: z.string(),
  testFile: z.string(),
  columns: z.array(ColumnSpec),
  targetKind: TargetKind,
  /** For classification: the class labels as they appear in train.csv. */
  classes: z.array(z.string()).optional(),
  /** Training rows, for size buckets and time estimates. */
  trainRows: z.number().int().nonnegative().optional(),
  testRows: z.number().int().nonnegative().optional(),
});
export type DataSchema = z.infer<typeof DataSchema>;

export const TaskSource = z.enum(["builtin", "mlebench"]);
export type TaskSource = z.infer<typeof TaskSource>;

/**
 * One task an agent can be given. `competition` names the real Kaggle competition whose grader applies
 * (built-in mini tasks reuse their competition's grader, file names and columns so that a program that
 * solves the mini task runs unchanged on the real one).
 */
export const TaskSpec = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  competition: z.string(),
  source: TaskSource,
  title: z.string(),
  /** Markdown shown to the agent. Read from public/description.md once prepared. */
  description: z.string(),
  metric: MetricName,
  lowerIsBetter: z.boolean(),
  idColumn: z.string(),
  /** Submission columns in the sample submission's order (id first, except where the real competition differs, e.g. insults). */
  submissionColumns: z.array(z.string()).min(2),
  /** Files the agent sees in public/ (always description.md and a sample submission). */
  publicFiles: z.array(z.string()),
  /** The answers file in private/. */
  answersFile: z.string(),
  sampleSubmissionFile: z.string(),
  thresholds: Thresholds.optional(),
  schema: DataSchema.optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;

/** Where a task's prepared files live: `<data-dir>/<id>/prepared/{public,private}` (MLE-bench layout). */
export interface TaskPaths {
  root: string;
  publicDir: string;
  privateDir: string;
}

/** A task ready to run: its spec and where its prepared files are. */
export interface PreparedTask {
  spec: TaskSpec;
  paths: TaskPaths;
}

/**
 * The built-in mini tasks, in listing order (their generators are in src/tasks/builtin/; the registry checks that
 * the two lists agree). A bare `mlerl train` trains on all of them.
 */
export const BUILTIN_TASK_IDS: readonly string[] = [
  "mini-tabular-playground-series-may-2022",
  "mini-tabular-playground-series-dec-2021",
  "mini-nomad2018-predict-transparent-conductors",
  "mini-leaf-classification",
  "mini-spooky-author-identification",
  "mini-tweet-sentiment-extraction",
];

/** Whether score a beats score b in a metric's direction (ties are not better). */
export function better(a: number, b: number, lowerIsBetter: boolean): boolean {
  return lowerIsBetter ? a < b : a > b;
}

/** The best of some scores in a metric's direction, or null when there are none. */
export function bestOf(scores: readonly number[], lowerIsBetter: boolean): number | null {
  if (scores.length === 0) return null;
  return scores.reduce((best, s) => (better(s, best, lowerIsBetter) ? s : best));
}
