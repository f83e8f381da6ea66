/**
 * The data behind the report's plots (pure functions): best score so far against wall-clock time (the paper's
 * Figure 7), reward and valid share over training, mean Δt of sampled programs over training, and how
 * programs ended (failure kind; for failed programs, the furthest milestone they reached).
 */
import { MILESTONES, reportScoreOf } from "../core/rollout.js";
import type { MethodGroup, TaskInfo } from "./groups.js";
import type { LoadedRun, ReportRollout } from "./load-runs.js";
import { better } from "./tables.js";

export interface TimedScore {
  /** Seconds since the run started. */
  t: number;
  score: number;
}

/**
 * The running best of `points` in time order: one point each time the best improves (ties keep the earlier).
 * Plotted as a step line it is the best score reached so far.
 */
export function bestSoFar(points: readonly TimedScore[], lowerIsBetter: boolean): TimedScore[] {
  const sorted = points.filter((p) => Number.isFinite(p.score) && Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const out: TimedScore[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last === undefined || better(p.score, last.score, lowerIsBetter)) out.push({ t: p.t, score: p.score });
  }
  return out;
}

/** Trailing moving average: element i is the mean of values[max(0, i − window + 1) .. i]. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const w = Math.max(1, Math.floor(window));
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= w) sum -= values[i - w]!;
    out.push(sum / Math.min(i + 1, w));
  }
  return out;
}

/** A window that smooths n points into about `steps` steps: at least `min` points (short runs are noisy), at most n. */
export function windowFor(n: number, steps = 20, min = 3): number {
  return Math.max(1, Math.min(n, Math.max(min, Math.round(n / steps))));
}

/** A run's finished rollouts in finishing order (ties by id): the order the reward and valid-share series follow. */
export function finishedInOrder(
  run: LoadedRun,
  phase?: ReportRollout["phase"],
): (ReportRollout & { record: NonNullable<ReportRollout["record"]> })[] {
  return run.rollouts
    .filter(
      (r): r is ReportRollout & { record: NonNullable<ReportRollout["record"]> } =>
        r.record !== null && (phase === undefined || r.phase === phase),
    )
    .sort((a, b) => (a.finishSec ?? Infinity) - (b.finishSec ?? Infinity) || a.id - b.id);
}

export interface BestPoint {
  task: string;
  method: string;
  /** The run's directory, or "<method> (mean)" for the mean over a method's runs. */
  run: string;
  /** True for the mean over a method's runs, or the only run of a method (drawn thick); false for one of several runs. */
  mean: boolean;
  /** Minutes since the run started. */
  minutes: number;
  best: number;
}

/** A run's best-so-far steps, valid until the run's last finished rollout. */
export interface StepCurve {
  steps: readonly TimedScore[];
  end: number;
}

/** A step curve's value at t: its last step at or before t; null before its first step or after its end. */
export function valueAt(curve: StepCurve, t: number): number | null {
  if (t > curve.end) return null;
  let v: number | null = null;
  for (const s of curve.steps) {
    if (s.t > t) break;
    v = s.score;
  }
  return v;
}

/**
 * The mean of several runs' step curves, wherever all of them have a value: from the latest first valid
 * program to the earliest end. Averaging only where every run has a value keeps a run that has not yet found
 * a valid program from silently dropping out of the mean. Points at every step time of any curve in that
 * range, and at its end.
 */
export function meanCurve(curves: readonly StepCurve[]): TimedScore[] {
  if (curves.length === 0 || curves.some((c) => c.steps.length === 0)) return [];
  const from = Math.max(...curves.map((c) => c.steps[0]!.t));
  const to = Math.min(...curves.map((c) => c.end));
  if (from > to) return [];
  const times = [...new Set([from, ...curves.flatMap((c) => c.steps.map((s) => s.t)).filter((t) => t > from && t <= to), to])].sort(
    (a, b) => a - b,
  );
  return times.map((t) => ({ t, score: curves.reduce((sum, c) => sum + valueAt(c, t)!, 0) / curves.length }));
}

/**
 * The steps of a run's submission curve on one task: each time the program it would submit changes (by the one
 * submission rule, src/core/select.ts, over the executions finished so far), the report-split score of the new
 * pick. Picks are made on what the agent sees, so a later pick can score worse on the report split.
 */
export function submissionSteps(
  done: readonly (ReportRollout & { record: NonNullable<ReportRollout["record"]> })[],
  lowerIsBetter: boolean,
): TimedScore[] {
  const steps: TimedScore[] = [];
  let firstValid: (typeof done)[number] | null = null;
  let bestEligible: (typeof done)[number] | null = null;
  let current: (typeof done)[number] | null = null;
  for (const r of done) {
    const o = r.record.reward;
    if (o.validSubmission && firstValid === null) firstValid = r;
    const m = o.validationMetric;
    if (o.validSubmission && m !== null && Number.isFinite(m)) {
      if (bestEligible === null || better(m, bestEligible.record.reward.validationMetric!, lowerIsBetter)) bestEligible = r;
    }
    const pick = bestEligible ?? firstValid;
    if (pick === null || pick === current || r.finishSec === null) continue;
    current = pick;
    const score = reportScoreOf(pick.record);
    if (score !== null) steps.push({ t: r.finishSec, score });
  }
  return steps;
}

/**
 * Figure 7's lines: per task and run, against the run's clock, the report-split score of the program the run
 * would submit at that moment (the same agent-visible rule for every method; training, search and the test-time
 * procedure after training all count). Each line is carried on to the run's last finished execution. A method
 * with several runs also gets their mean (see meanCurve).
 */
export function bestSoFarSeries(groups: readonly MethodGroup[], tasks: readonly TaskInfo[]): BestPoint[] {
  const out: BestPoint[] = [];
  for (const g of groups) {
    for (const task of tasks) {
      const curves: StepCurve[] = [];
      for (const run of g.runs) {
        const done = finishedInOrder(run);
        const end = Math.max(0, ...done.map((r) => r.finishSec ?? 0));
        const mine = done.filter((r) => r.taskId === task.taskId);
        const steps = submissionSteps(mine, task.lowerIsBetter ?? false);
        const last = steps[steps.length - 1];
        if (mine.length > 0) curves.push({ steps, end });
        if (last === undefined) continue;
        // A method's only run is its own mean (drawn like the means of methods with several runs).
        const mean = g.runs.length === 1;
        for (const s of steps) out.push({ task: task.taskId, method: g.name, run: run.dir, mean, minutes: s.t / 60, best: s.score });
        if (end > last.t) out.push({ task: task.taskId, method: g.name, run: run.dir, mean, minutes: end / 60, best: last.score });
      }
      if (curves.length > 1) {
        for (const p of meanCurve(curves))
          out.push({ task: task.taskId, method: g.name, run: `${g.name} (mean)`, mean: true, minutes: p.t / 60, best: p.score });
      }
    }
  }
  return out;
}

export interface TrainingPoint {
  method: string;
  run: string;
  /** 1-based count of rollouts finished (reward, valid share) or started (Δt). */
  rollout: number;
  value: number;
}

/**
 * Moving averages over finished rollouts of each run: reward and the share of valid submissions. The runs of
 * one method share a window (sized for the longest), so their curves can be averaged point by point.
 */
export function rewardSeries(groups: readonly MethodGroup[]): { reward: TrainingPoint[]; valid: TrainingPoint[] } {
  const reward: TrainingPoint[] = [];
  const valid: TrainingPoint[] = [];
  for (const g of groups) {
    const w = windowFor(Math.max(0, ...g.runs.map((r) => finishedInOrder(r).length)));
    for (const run of g.runs) {
      const done = finishedInOrder(run, "train");
      const r = movingAverage(
        done.map((d) => d.record.reward.reward),
        w,
      );
      const v = movingAverage(
        done.map((d) => (d.record.reward.validSubmission ? 1 : 0)),
        w,
      );
      r.forEach((value, i) => reward.push({ method: g.name, run: run.dir, rollout: i + 1, value }));
      v.forEach((value, i) => valid.push({ method: g.name, run: run.dir, rollout: i + 1, value }));
    }
  }
  return { reward, valid };
}

/**
 * Mean Δt of the programs the policy sampled, in consecutive windows of rollouts in the order they were sampled
 * (started), placed at each window's last rollout. Sampling order, not finishing order: finishing order
 * over-represents fast programs, which is the very bias duration weighting corrects. The runs of one method
 * share the window size, so their windows line up.
 */
export function durationSeries(groups: readonly MethodGroup[]): TrainingPoint[] {
  const out: TrainingPoint[] = [];
  for (const g of groups) {
    const w = windowFor(Math.max(0, ...g.runs.map((r) => r.rollouts.length)));
    for (const run of g.runs) {
      const started = [...run.rollouts].sort((a, b) => a.startSec - b.startSec || a.id - b.id);
      for (let i = 0; i < started.length; i += w) {
        const chunk = started.slice(i, i + w);
        const dts = chunk.map((r) => r.record?.reward.wallSec ?? r.wallSec).filter((x): x is number => x !== null && Number.isFinite(x));
        if (dts.length === 0) continue;
        out.push({ method: g.name, run: run.dir, rollout: i + chunk.length, value: dts.reduce((a, b) => a + b, 0) / dts.length });
      }
    }
  }
  return out;
}

export interface ShareRow {
  method: string;
  category: string;
  count: number;
  share: number;
}

function shares(
  groups: readonly MethodGroup[],
  categoryOf: (r: ReportRollout & { record: NonNullable<ReportRollout["record"]> }) => string | null,
): ShareRow[] {
  const out: ShareRow[] = [];
  for (const g of groups) {
    const counts = new Map<string, number>();
    for (const run of g.runs) {
      for (const r of finishedInOrder(run, "train")) {
        const c = categoryOf(r);
        if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
      }
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const [category, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0])))
      out.push({ method: g.name, category, count, share: count / total });
  }
  return out;
}

/** How finished programs ended, per method: "valid submission" or the failure kind. */
export function outcomeShares(groups: readonly MethodGroup[]): ShareRow[] {
  return shares(groups, (r) => (r.record.reward.validSubmission ? "valid submission" : r.record.reward.failureKind));
}

/** The furthest milestone (in the order a solution reaches them) in `milestones`, or "no milestone". */
export function furthestMilestone(milestones: readonly string[]): string {
  let best = -1;
  for (const m of milestones) best = Math.max(best, (MILESTONES as readonly string[]).indexOf(m));
  return best < 0 ? "no milestone" : MILESTONES[best]!;
}

/** Where failed programs stopped, per method: the furthest milestone each reached before failing. */
export function failureStageShares(groups: readonly MethodGroup[]): ShareRow[] {
  return shares(groups, (r) => (r.record.reward.validSubmission ? null : furthestMilestone(r.record.reward.milestonesReached)));
}

/** Stage names in the order a program reaches them, for chart axes and legends. */
export const STAGE_ORDER: readonly string[] = ["no milestone", ...MILESTONES];
