/**
 * The comparison at equal budget (pure functions): for every method, seed and task, the program the method would
 * submit at the end of its budget, picked by the one submission rule (src/core/select.ts) over all its
 * executions (training or search, then the test-time procedure), and scored on the report split. Per task: mean
 * ± standard error over seeds, per-seed values, the winner; per method: MLE-bench's aggregate over tasks and seeds.
 */
import { reportScoreOf, type RolloutSummary } from "../core/rollout.js";
import { pickSubmission } from "../core/select.js";
import { better } from "../core/task.js";
import { aggregateReports, type CountedReport, type GradingSummary } from "../grading/aggregate.js";
import { medalsFor } from "../grading/medals.js";
import type { Thresholds } from "../core/task.js";
import type { MethodGroup, TaskInfo } from "./groups.js";
import type { LoadedRun, ReportRollout } from "./load-runs.js";

export interface MeanSem {
  mean: number | null;
  /** Standard error of the mean over seeds (sample std / √n); null for fewer than two values. */
  sem: number | null;
  n: number;
}

/** Mean and standard error of the mean (MLE-bench's leaderboard convention). */
export function meanSem(values: readonly number[]): MeanSem {
  const n = values.length;
  if (n === 0) return { mean: null, sem: null, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, sem: null, n };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, sem: Math.sqrt(variance / n), n };
}

/** One replica's pick on one task. */
export interface Pick {
  run: string;
  /** Report-split score of the picked program; null when the method had no valid submission. */
  score: number | null;
  /** Its grade on the report split (validity, above median, medals), as MLE-bench counts a run. */
  counted: CountedReport;
  /** Minutes of the run's clock at which the picked program finished. */
  atMinutes: number | null;
}

type Finished = ReportRollout & { record: RolloutSummary };

function finishedOf(run: LoadedRun, taskId: string): Finished[] {
  return run.rollouts
    .filter((r): r is Finished => r.record !== null && r.taskId === taskId && r.finishSec !== null)
    .sort((a, b) => a.finishSec! - b.finishSec! || a.id - b.id);
}

/** The program a run would submit for a task from the executions finished by `untilSec` (all, by default). */
export function pickOf(run: LoadedRun, taskId: string, lowerIsBetter: boolean, untilSec = Infinity): Finished | null {
  const done = finishedOf(run, taskId).filter((r) => r.finishSec! <= untilSec);
  return (
    pickSubmission(
      done.map((r) => ({ r, validSubmission: r.record.reward.validSubmission, validationMetric: r.record.reward.validationMetric })),
      lowerIsBetter,
    )?.r ?? null
  );
}

function countedOf(
  record: RolloutSummary | null,
  score: number | null,
  thresholds: Thresholds | null,
  lowerIsBetter: boolean,
): CountedReport {
  // Records of mlerl 0.1 carry no grade; their medals follow from the score and the task's thresholds.
  const medals = medalsFor(score, thresholds ?? undefined, lowerIsBetter);
  return {
    submission_exists: record?.grade?.submission_exists ?? score !== null,
    valid_submission: score !== null,
    gold_medal: medals.gold_medal,
    silver_medal: medals.silver_medal,
    bronze_medal: medals.bronze_medal,
    above_median: medals.above_median,
  };
}

export interface CompareRow {
  method: string;
  picks: Pick[];
  score: MeanSem;
  validRate: number;
}

export interface CompareTable {
  taskId: string;
  metric: string | null;
  lowerIsBetter: boolean;
  rows: CompareRow[];
  /** The method with the best mean report-split score. */
  best: string | null;
}

export interface TaskThresholds {
  taskId: string;
  thresholds: Thresholds | null;
}

/** Per task, every method's final picks (one per replica, i.e. seed). */
export function comparisonTables(
  groups: readonly MethodGroup[],
  tasks: readonly TaskInfo[],
  thresholdsOf: (taskId: string) => Thresholds | null,
): CompareTable[] {
  return tasks.map((task) => {
    const lower = task.lowerIsBetter ?? false;
    const rows: CompareRow[] = [];
    for (const g of groups) {
      const replicas = g.runs.filter((run) => run.rollouts.some((r) => r.taskId === task.taskId));
      if (replicas.length === 0) continue;
      const picks = replicas.map((run): Pick => {
        const p = pickOf(run, task.taskId, lower);
        const score = p ? reportScoreOf(p.record) : null;
        return {
          run: run.dir,
          score,
          counted: countedOf(p?.record ?? null, score, thresholdsOf(task.taskId), lower),
          atMinutes: p ? p.finishSec! / 60 : null,
        };
      });
      const scores = picks.map((p) => p.score).filter((x): x is number => x !== null);
      rows.push({ method: g.name, picks, score: meanSem(scores), validRate: picks.length ? scores.length / picks.length : 0 });
    }
    let best: CompareRow | null = null;
    for (const r of rows) if (r.score.mean !== null && (best === null || better(r.score.mean, best.score.mean!, lower))) best = r;
    return { taskId: task.taskId, metric: task.metric, lowerIsBetter: lower, rows, best: best?.method ?? null };
  });
}

/** Per method, MLE-bench's aggregate over every (task, seed) pick. */
export function aggregateByMethod(
  tables: readonly CompareTable[],
  methods: readonly string[],
): Array<{ method: string; summary: GradingSummary }> {
  return methods.map((method) => ({
    method,
    summary: aggregateReports(
      tables.flatMap((t) => t.rows.filter((r) => r.method === method).flatMap((r) => r.picks.map((p) => p.counted))),
    ),
  }));
}

/** How many tasks method a beats method b on (mean report-split score), and on how many both have a mean. */
export function wins(tables: readonly CompareTable[], a: string, b: string): { wins: number; compared: number } {
  let w = 0;
  let n = 0;
  for (const t of tables) {
    const ra = t.rows.find((r) => r.method === a)?.score.mean ?? null;
    const rb = t.rows.find((r) => r.method === b)?.score.mean ?? null;
    if (ra === null && rb === null) continue;
    n += 1;
    if (ra !== null && (rb === null || better(ra, rb, t.lowerIsBetter))) w += 1;
  }
  return { wins: w, compared: n };
}
