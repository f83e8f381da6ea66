import { reportScoreOf, type RewardBreakdown } from "../core/rollout.js";
import { bestOf } from "../core/task.js";
import type { RunStore } from "../store/run-store.js";

export interface FifthStats {
  meanReward: number;
  validShare: number;
  meanDt: number;
  n: number;
}

export interface TaskBest {
  taskId: string;
  bestScore: number | null;
  rollouts: number;
  validShare: number;
}

export interface RunSummary {
  rollouts: number;
  updates: number;
  first: FifthStats;
  last: FifthStats;
  perTask: TaskBest[];
  meanKl: number | null;
}

interface Done {
  taskId: string;
  outcome: RewardBreakdown;
  /** The report split's score (what a summary may show). */
  reportScore: number | null;
}

function fifthStats(rows: readonly Done[]): FifthStats {
  const n = rows.length;
  if (n === 0) return { meanReward: 0, validShare: 0, meanDt: 0, n: 0 };
  return {
    meanReward: rows.reduce((a, r) => a + r.outcome.reward, 0) / n,
    validShare: rows.filter((r) => r.outcome.validSubmission).length / n,
    meanDt: rows.reduce((a, r) => a + r.outcome.wallSec, 0) / n,
    n,
  };
}

/**
 * What a run did, from its store alone: first vs last fifth of finished rollouts (in finishing order) shows
 * whether the policy learned; best hidden score per task says how far it got.
 */
export function summarizeRun(store: RunStore, lowerIsBetter: (taskId: string) => boolean): RunSummary {
  const done: Done[] = store
    .rollouts()
    .filter((r) => r.status !== "running" && r.record !== null)
    .sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0) || a.id - b.id)
    .map((r) => ({ taskId: r.taskId, outcome: r.record!.reward, reportScore: reportScoreOf(r.record!) }));
  const k = Math.max(1, Math.floor(done.length / 5));
  const tasks = [...new Set(done.map((d) => d.taskId))].sort();
  const perTask = tasks.map((taskId) => {
    const mine = done.filter((d) => d.taskId === taskId);
    const scores = mine.map((d) => d.reportScore).filter((x): x is number => x !== null);
    return {
      taskId,
      bestScore: bestOf(scores, lowerIsBetter(taskId)),
      rollouts: mine.length,
      validShare: mine.filter((d) => d.outcome.validSubmission).length / mine.length,
    };
  });
  const updates = store.updates();
  const kls = updates.map((u) => u.stats.kl);
  return {
    rollouts: done.length,
    updates: updates.length,
    first: fifthStats(done.slice(0, k)),
    last: fifthStats(done.slice(-k)),
    perTask,
    meanKl: kls.length ? kls.reduce((a, b) => a + b, 0) / kls.length : null,
  };
}
