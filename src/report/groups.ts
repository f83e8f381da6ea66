import type { LoadedRun } from "./load-runs.js";

/**
 * A run that holds several independent searches (baselines run their seeds one after another in one run dir,
 * each on its own clock from 0, and tag each outcome with its seed) becomes one replica per seed, so curves
 * over time are per search, like one training run per seed. The replicas share the directory; the first keeps
 * the run's eval.json so the evaluation is counted once. Runs with a single seed (or none) come back as they are.
 */
export function splitSeeds(run: LoadedRun): LoadedRun[] {
  const seeds = [...new Set(run.rollouts.map((r) => r.record?.search?.seed).filter((s): s is number => s !== undefined))].sort(
    (a, b) => a - b,
  );
  if (seeds.length < 2) return [run];
  return seeds.map((seed, i) => {
    const mine = run.rollouts.filter((r) => r.record?.search?.seed === seed);
    const t0 = Math.min(...mine.map((r) => r.startSec));
    return {
      ...run,
      dir: `${run.dir}#seed${seed}`,
      name: `${run.name} seed ${seed}`,
      rollouts: mine.map((r) => ({ ...r, startSec: r.startSec - t0, finishSec: r.finishSec === null ? null : r.finishSec - t0 })),
      evaluation: i === 0 ? run.evaluation : null,
      notes: [],
    };
  });
}

/** One method of the report: its runs are its seeds. */
export interface MethodGroup {
  /** What the tables and legends call it. */
  name: string;
  runs: LoadedRun[];
}

export type GroupBy = "method" | "label";

/** The methods mlerl writes, in the order tables list them: the full method, its ablations, the baselines. */
export const METHOD_ORDER: readonly string[] = ["rl", "rl-no-duration", "rl-no-instrumentation", "rl-no-improve", "aide", "random"];

/**
 * Groups runs by their method (or label). Known methods come in METHOD_ORDER, any others after them in the
 * order their runs were given. A run without a label falls back to its method when grouping by label.
 */
export function groupRuns(runs: readonly LoadedRun[], by: GroupBy = "method"): MethodGroup[] {
  const groups = new Map<string, LoadedRun[]>();
  for (const run of runs) {
    const key = by === "label" ? (run.label ?? run.method) : run.method;
    const list = groups.get(key) ?? [];
    list.push(run);
    groups.set(key, list);
  }
  const rank = (name: string) => {
    const i = METHOD_ORDER.indexOf(name);
    return i < 0 ? METHOD_ORDER.length : i;
  };
  // Array.prototype.sort is stable, so unknown names keep their first-appearance order.
  return [...groups].map(([name, list]) => ({ name, runs: list })).sort((a, b) => rank(a.name) - rank(b.name));
}

/** Direction and metric of a task, as far as anything tells it. */
export interface TaskInfo {
  taskId: string;
  metric: string | null;
  /** Null when nothing says (an unknown task id and no eval.json): then higher is taken as better, with a note. */
  lowerIsBetter: boolean | null;
}

/** Every task the runs touched (rollouts or evaluations), sorted; direction from eval.json first, then `lookup`. */
export function tasksOf(groups: readonly MethodGroup[], lookup: (taskId: string) => Omit<TaskInfo, "taskId"> | null): TaskInfo[] {
  const info = new Map<string, TaskInfo>();
  for (const g of groups) {
    for (const run of g.runs) {
      for (const t of run.evaluation?.tasks ?? [])
        if (!info.has(t.taskId)) info.set(t.taskId, { taskId: t.taskId, metric: t.metric, lowerIsBetter: t.lowerIsBetter });
    }
  }
  for (const g of groups) {
    for (const run of g.runs) {
      for (const r of run.rollouts) {
        if (info.has(r.taskId)) continue;
        const known = lookup(r.taskId);
        info.set(r.taskId, { taskId: r.taskId, metric: known?.metric ?? null, lowerIsBetter: known?.lowerIsBetter ?? null });
      }
    }
  }
  return [...info.values()].sort((a, b) => a.taskId.localeCompare(b.taskId));
}
