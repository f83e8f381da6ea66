/**
 * A run's curves for the page: the report's series (reward, valid share, mean Δt, best score so far), placed on
 * rollouts and on minutes, plus what only the store holds: executor utilisation over time and the statistics of
 * each update (staleness, sampler–learner KL, clip fraction, duration weights).
 */
import { groupRuns, splitSeeds, tasksOf } from "../report/groups.js";
import type { LoadedRun } from "../report/load-runs.js";
import { bestSoFarSeries, durationSeries, finishedInOrder, rewardSeries, type TrainingPoint } from "../report/series.js";
import type { CurvesResponse, SeriesSet, XY } from "./api.js";
import type { RunData } from "./run-cache.js";
import type { TaskLookup } from "./tasks.js";

export interface CurveRun {
  id: string;
  data: RunData;
}

/** Points sent per line at most: a chart is about 1,400 pixels wide, and these lines are already moving averages. */
export const MAX_POINTS = 2000;

/** Every k-th point (and the last), so a line never carries more than MAX_POINTS; the points kept are unchanged. */
export function thin<P>(points: readonly P[], max = MAX_POINTS): P[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  const kept = points.filter((_, i) => i % step === 0);
  if ((points.length - 1) % step !== 0) kept.push(points[points.length - 1]!);
  return kept;
}

function xy(points: readonly { x: number; y: number }[]): XY {
  const kept = thin(points);
  return { x: kept.map((p) => p.x), y: kept.map((p) => p.y) };
}

/** The report's points of one run as a line over rollouts and, through `minuteOf`, over minutes. */
function place(points: readonly TrainingPoint[], run: LoadedRun, id: string, minuteOf: (rollout: number) => number | null) {
  const mine = points.filter((p) => p.run === run.dir);
  const byRollout: SeriesSet = { name: run.name, runId: id, points: xy(mine.map((p) => ({ x: p.rollout, y: p.value }))) };
  const timed = mine.map((p) => ({ x: minuteOf(p.rollout), y: p.value })).filter((p): p is { x: number; y: number } => p.x !== null);
  return { byRollout, byMinute: { name: run.name, runId: id, points: xy(timed) } satisfies SeriesSet };
}

/** Busy executors / executors per time bucket (about 100 buckets over the run, at least 5 s each). */
export function utilisationSeries(run: LoadedRun): XY {
  const train = run.rollouts.filter((r) => r.phase === "train");
  if (train.length === 0 || run.executors === null) return { x: [], y: [] };
  const end = Math.max(...train.map((r) => r.finishSec ?? r.startSec));
  const width = Math.max(5, end / 100);
  const buckets = Math.max(1, Math.ceil(end / width));
  const busy = new Array<number>(buckets).fill(0);
  for (const r of train) {
    const a = r.startSec;
    const b = r.finishSec ?? end;
    for (let i = Math.max(0, Math.floor(a / width)); i < buckets && i * width < b; i++) {
      const lo = Math.max(a, i * width);
      const hi = Math.min(b, (i + 1) * width);
      if (hi > lo) busy[i]! += hi - lo;
    }
  }
  return {
    x: busy.map((_, i) => ((i + 0.5) * width) / 60),
    y: busy.map((s, i) => Math.min(1, s / (run.executors! * (Math.min(end, (i + 1) * width) - i * width || width)))),
  };
}

export function curvesOf(runs: readonly CurveRun[], lookup: TaskLookup): CurvesResponse {
  const loaded = runs.filter((r): r is CurveRun & { data: RunData & { loaded: LoadedRun } } => r.data.loaded !== null);
  const idOfDir = new Map(loaded.map((r) => [r.data.loaded.dir, r.id]));
  // The report's groups: one replica per independent search, grouped by method.
  const groups = groupRuns(loaded.flatMap((r) => splitSeeds(r.data.loaded)));
  const replicas = groups.flatMap((g) => g.runs);
  const tasks = tasksOf(groups, (id) => lookup(id));
  const { reward, valid } = rewardSeries(groups);
  const dt = durationSeries(groups);
  const out: CurvesResponse = {
    runIds: runs.map((r) => r.id),
    reward: { byRollout: [], byMinute: [] },
    valid: { byRollout: [], byMinute: [] },
    dt: { byRollout: [], byMinute: [] },
    utilisation: [],
    updates: { staleness: [], stalenessMax: [], kl: [], clipFraction: [], meanReward: [], weightMin: [], weightMax: [], weightMean: [] },
    bestSoFar: [],
    notes: [],
  };
  for (const run of replicas) {
    const id = idOfDir.get(run.dir.replace(/#seed\d+$/, "")) ?? "";
    const finished = finishedInOrder(run, "train");
    const started = [...run.rollouts].sort((a, b) => a.startSec - b.startSec || a.id - b.id);
    const finishMinute = (n: number) => {
      const r = finished[n - 1];
      return r?.finishSec == null ? null : r.finishSec / 60;
    };
    const startMinute = (n: number) => {
      const r = started[n - 1];
      return r === undefined ? null : r.startSec / 60;
    };
    for (const [series, target, minuteOf] of [
      [reward, out.reward, finishMinute],
      [valid, out.valid, finishMinute],
      [dt, out.dt, startMinute],
    ] as const) {
      const placed = place(series, run, id, minuteOf);
      if (placed.byRollout.points.x.length === 0) continue;
      target.byRollout.push(placed.byRollout);
      target.byMinute.push(placed.byMinute);
    }
    const u = utilisationSeries(run);
    if (u.x.length) out.utilisation.push({ name: run.name, runId: id, points: u });
  }
  for (const r of loaded) {
    const ups = r.data.updates;
    if (ups.length === 0) continue;
    const name = r.data.loaded.name;
    const line = (f: (s: (typeof ups)[number]["stats"]) => number | undefined): SeriesSet => {
      const pts = ups
        .map((u) => ({ x: u.version, y: f(u.stats) }))
        .filter((p): p is { x: number; y: number } => p.y !== undefined && Number.isFinite(p.y));
      return { name, runId: r.id, points: xy(pts) };
    };
    const mean = (w: readonly number[]) => (w.length ? w.reduce((a, b) => a + b, 0) / w.length : undefined);
    out.updates.staleness.push(line((s) => s.stalenessMean));
    out.updates.stalenessMax.push(line((s) => s.stalenessMax));
    out.updates.kl.push(line((s) => s.kl));
    out.updates.clipFraction.push(line((s) => s.extra.clipFraction));
    out.updates.meanReward.push(line((s) => s.meanReward));
    out.updates.weightMin.push(line((s) => (s.weights.length ? Math.min(...s.weights) : undefined)));
    out.updates.weightMax.push(line((s) => (s.weights.length ? Math.max(...s.weights) : undefined)));
    out.updates.weightMean.push(line((s) => mean(s.weights)));
  }
  const best = bestSoFarSeries(groups, tasks);
  for (const task of tasks) {
    const mine = best.filter((p) => p.task === task.taskId);
    if (mine.length === 0) continue;
    const names = [...new Set(mine.map((p) => p.run))];
    out.bestSoFar.push({
      taskId: task.taskId,
      lowerIsBetter: task.lowerIsBetter ?? false,
      lines: names.map((run) => {
        const pts = mine.filter((p) => p.run === run);
        const replica = replicas.find((x) => x.dir === run);
        return { name: replica?.name ?? run, mean: pts[0]!.mean, points: xy(pts.map((p) => ({ x: p.minutes, y: p.best }))) };
      }),
    });
    if (task.lowerIsBetter === null) out.notes.push(`${task.taskId}: metric direction unknown here; higher is taken as better`);
  }
  for (const r of runs) if (r.data.loaded === null) out.notes.push(`${r.data.dir}: ${r.data.error ?? "cannot be read"}`);
  return out;
}
