/**
 * The runs list: per run its method, tasks, status, size and the best report-split score per task, computed by
 * the report's own functions (its training table), so the numbers are those of `mlerl report`.
 */
import { medalOf } from "../eval/result.js";
import { groupRuns, splitSeeds, tasksOf } from "../report/groups.js";
import { trainingTables } from "../report/tables.js";
import type { RunRow, TaskBestView } from "./api.js";
import type { CatalogEntry } from "./catalog.js";
import { memoOf, type RunData } from "./run-cache.js";
import { runStatus } from "./status.js";
import type { TaskLookup } from "./tasks.js";

/** The best score per task of a run's own rollouts, with its medal. */
export function bestPerTask(data: RunData, lookup: TaskLookup): TaskBestView[] {
  if (data.loaded === null) return [];
  const groups = groupRuns(splitSeeds(data.loaded));
  const tasks = tasksOf(groups, (id) => lookup(id));
  return trainingTables(groups, tasks).map((t) => {
    const best = t.rows[0]?.bestOverall ?? null;
    const thresholds =
      data.loaded?.evaluation?.tasks.find((e) => e.taskId === t.taskId)?.thresholds ?? lookup(t.taskId)?.thresholds ?? null;
    return {
      taskId: t.taskId,
      best,
      medal: best === null ? null : medalOf(best, thresholds, t.lowerIsBetter),
      lowerIsBetter: t.lowerIsBetter,
    };
  });
}

export function runRow(entry: CatalogEntry, data: RunData, lookup: TaskLookup): RunRow {
  const run = data.loaded;
  const problems: string[] = [];
  if (data.error) problems.push(data.error);
  const { status, note } =
    data.error !== null ? { status: "unreadable" as const, note: data.error } : runStatus(entry.dir, data.meta, data.hasStore);
  const train = run?.rollouts.filter((r) => r.phase === "train") ?? [];
  const span = Math.max(0, ...train.map((r) => r.finishSec ?? r.startSec));
  return {
    id: entry.id,
    dir: entry.dir,
    name: run?.name ?? entry.dir.split("/").at(-1) ?? entry.dir,
    method: run?.method ?? "unknown",
    label: run?.label ?? null,
    status,
    statusNote: note,
    tasks: [...new Set(train.map((r) => r.taskId))].sort(),
    rollouts: train.length,
    running: train.filter((r) => r.record === null && r.finishSec === null).length,
    updates: run?.updates.length ?? 0,
    // A live run's clock runs past the time its earlier sessions recorded; a finished search's seeds add up past any one clock.
    minutes: run === null || (run.elapsedSec === null && train.length === 0) ? null : Math.max(run.elapsedSec ?? 0, span) / 60,
    best: memoOf(data, "best", () => bestPerTask(data, lookup)),
    search: train.some((r) => r.record?.search !== undefined),
    executors: data.meta.get("executor_status") || null,
    evaluated: run?.evaluation != null,
    problems,
    notes: run?.notes ?? [],
  };
}
