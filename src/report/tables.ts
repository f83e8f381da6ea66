/**
 * The report's tables, as plain data (pure functions; markdown is write.ts's job).
 *
 * Evaluation: several run directories of one method are its seeds. Their eval.json attempts are pooled with
 * each (run, evaluation seed) pair counted as one seed, and summarised by the same rules `mlerl eval` uses
 * (src/eval/result.ts summarizeAttempts): mean ± sample std over seeds of the per-seed mean selected test score.
 */
import { reportScoreOf } from "../core/rollout.js";
import { meanStd, summarizeAttempts, type EvalAttempt } from "../eval/result.js";
import type { MethodGroup, TaskInfo } from "./groups.js";

export interface MeanStd {
  mean: number | null;
  std: number | null;
}

export interface EvalRow {
  method: string;
  /** Run directories that contributed an evaluation of this task. */
  runs: number;
  /** Seeds after pooling: (run, evaluation seed) pairs. */
  seeds: number;
  attempts: number;
  score: MeanStd;
  validRate: number;
  medalRates: { gold: number; silver: number; bronze: number; any: number };
  bestOfN: MeanStd;
}

export interface EvalTaskTable {
  taskId: string;
  metric: string;
  lowerIsBetter: boolean;
  rows: EvalRow[];
  /** Methods in the report with no evaluation of this task. */
  missing: string[];
  /** The method with the best mean (by the task's direction), if any has one. */
  best: string | null;
}

/** Direction-aware "a is better than b". */
export function better(a: number, b: number, lowerIsBetter: boolean): boolean {
  return lowerIsBetter ? a < b : a > b;
}

function bestOf(rows: readonly { method: string; value: number | null }[], lowerIsBetter: boolean): string | null {
  let best: { method: string; value: number } | null = null;
  for (const r of rows)
    if (r.value !== null && (best === null || better(r.value, best.value, lowerIsBetter))) best = { method: r.method, value: r.value };
  return best?.method ?? null;
}

/** One table per evaluated task: method × (mean ± std, valid rate, medal rates, best-of-N). */
export function evalTables(groups: readonly MethodGroup[]): EvalTaskTable[] {
  const tasks = new Map<string, { metric: string; lowerIsBetter: boolean }>();
  for (const g of groups)
    for (const run of g.runs)
      for (const t of run.evaluation?.tasks ?? [])
        if (!tasks.has(t.taskId)) tasks.set(t.taskId, { metric: t.metric, lowerIsBetter: t.lowerIsBetter });
  return [...tasks.keys()].sort().map((taskId) => {
    const { metric, lowerIsBetter } = tasks.get(taskId)!;
    const rows: EvalRow[] = [];
    const missing: string[] = [];
    for (const g of groups) {
      const pooled: EvalAttempt[] = [];
      const seedIds = new Map<string, number>();
      let runs = 0;
      g.runs.forEach((run, runIndex) => {
        const entry = run.evaluation?.tasks.find((t) => t.taskId === taskId);
        if (!entry) return;
        runs += 1;
        for (const a of entry.attempts) {
          const key = `${runIndex}:${a.seed}`;
          if (!seedIds.has(key)) seedIds.set(key, seedIds.size);
          pooled.push({ ...a, seed: seedIds.get(key)! });
        }
      });
      if (runs === 0) {
        missing.push(g.name);
        continue;
      }
      const s = summarizeAttempts(pooled, lowerIsBetter);
      rows.push({
        method: g.name,
        runs,
        seeds: seedIds.size,
        attempts: pooled.length,
        score: { mean: s.mean, std: s.std },
        validRate: s.validRate,
        medalRates: s.medalRates,
        bestOfN: s.bestOfN,
      });
    }
    return {
      taskId,
      metric,
      lowerIsBetter,
      rows,
      missing,
      best: bestOf(
        rows.map((r) => ({ method: r.method, value: r.score.mean })),
        lowerIsBetter,
      ),
    };
  });
}

export interface TrainingRow {
  method: string;
  runs: number;
  rollouts: number;
  validShare: number;
  /** Per run, the best hidden test score of any valid rollout; then mean ± std over the runs that have one. */
  best: MeanStd;
  /** Runs with at least one valid rollout on this task. */
  runsWithValid: number;
  /** The best score over all runs of the method. */
  bestOverall: number | null;
  /** Mean execution time (Δt, seconds) of the finished rollouts. */
  meanDt: number | null;
}

export interface TrainingTaskTable {
  taskId: string;
  metric: string | null;
  lowerIsBetter: boolean;
  /** True when no source said the direction and higher was assumed. */
  directionAssumed: boolean;
  rows: TrainingRow[];
  best: string | null;
}

/** The best score among values by direction (null for none). */
export function bestScore(scores: readonly number[], lowerIsBetter: boolean): number | null {
  let best: number | null = null;
  for (const s of scores) if (Number.isFinite(s) && (best === null || better(s, best, lowerIsBetter))) best = s;
  return best;
}

/** Per task: what the runs' own rollouts (training or search executions) reached, method by method. */
export function trainingTables(groups: readonly MethodGroup[], tasks: readonly TaskInfo[]): TrainingTaskTable[] {
  const out: TrainingTaskTable[] = [];
  for (const task of tasks) {
    const lowerIsBetter = task.lowerIsBetter ?? false;
    const rows: TrainingRow[] = [];
    for (const g of groups) {
      const perRun = g.runs.map((run) => run.rollouts.filter((r) => r.taskId === task.taskId && r.record !== null && r.phase === "train"));
      const all = perRun.flat();
      if (all.length === 0) continue;
      const runBests = perRun
        .map((rs) =>
          bestScore(
            rs.map((r) => reportScoreOf(r.record!)).filter((x): x is number => x !== null),
            lowerIsBetter,
          ),
        )
        .filter((b): b is number => b !== null);
      const dts = all.map((r) => r.record!.reward.wallSec);
      rows.push({
        method: g.name,
        runs: perRun.filter((rs) => rs.length > 0).length,
        rollouts: all.length,
        validShare: all.filter((r) => r.record!.reward.validSubmission).length / all.length,
        best: meanStd(runBests),
        runsWithValid: runBests.length,
        bestOverall: bestScore(runBests, lowerIsBetter),
        meanDt: dts.reduce((a, b) => a + b, 0) / dts.length,
      });
    }
    if (rows.length === 0) continue;
    out.push({
      taskId: task.taskId,
      metric: task.metric,
      lowerIsBetter,
      directionAssumed: task.lowerIsBetter === null,
      rows,
      best: bestOf(
        rows.map((r) => ({ method: r.method, value: r.best.mean })),
        lowerIsBetter,
      ),
    });
  }
  return out;
}
