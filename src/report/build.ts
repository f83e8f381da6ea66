/**
 * `mlerl report` end to end: read the runs, compute tables and series, render the plots, write the markdown.
 */
import type { TopLevelSpec } from "vega-lite";
import { bestSoFarChart, durationChart, outcomeChart, rewardChart } from "./charts.js";
import { groupRuns, splitSeeds, tasksOf, type GroupBy, type MethodGroup, type TaskInfo } from "./groups.js";
import { expandRunDirs, loadRun, type LoadedRun } from "./load-runs.js";
import { renderChart } from "./render.js";
import { bestSoFarSeries, durationSeries, failureStageShares, outcomeShares, rewardSeries, STAGE_ORDER } from "./series.js";
import { evalTables, trainingTables } from "./tables.js";
import type { Thresholds } from "../core/task.js";
import { aggregateByMethod, comparisonTables } from "./compare.js";
import { writeReport, type PlotEntry, type ReportModel, type Resources, type RunLine } from "./write.js";

/** What the task registry says about a task id. */
export interface TaskFacts {
  metric: string;
  lowerIsBetter: boolean;
  thresholds?: Thresholds | null;
  knownIssues?: string[];
}

export interface BuildOptions {
  dirs: readonly string[];
  out: string;
  groupBy?: GroupBy;
  /** Metric, direction, thresholds and known issues of a task id (the task registry), or null. */
  taskLookup: (taskId: string) => TaskFacts | null;
  now?: Date;
}

export interface BuildResult {
  model: ReportModel;
  files: string[];
  /** Seconds spent turning specs into PNGs. */
  renderSec: number;
}

/** A run whose stored rollout times cover far less than the time it reports (simulated time) gets a caveat. */
function clockNote(run: LoadedRun): string | null {
  // Searches run one after another on their own clocks add up; so do their spans.
  const span = splitSeeds(run).reduce((sum, r) => sum + Math.max(0, ...r.rollouts.map((x) => x.finishSec ?? 0)), 0);
  if (run.elapsedSec === null || run.elapsedSec < 10 || span >= run.elapsedSec / 10) return null;
  return `its rollout timestamps span ${span.toFixed(1)} s but the run reports ${run.elapsedSec.toFixed(0)} s of training (a simulated clock?): time axes show the stored timestamps`;
}

interface PlotJob {
  entry: PlotEntry;
  spec: TopLevelSpec | null;
}

function plotJobs(groups: readonly MethodGroup[], tasks: readonly TaskInfo[], methods: readonly string[]): PlotJob[] {
  const jobs: PlotJob[] = [];

  const best = bestSoFarSeries(groups, tasks);
  const noValid = groups
    .filter((g) => !best.some((p) => p.method === g.name) && g.runs.some((r) => r.rollouts.length > 0))
    .map((g) => g.name);
  jobs.push({
    entry: {
      file: best.length ? "best-so-far.png" : null,
      title: "Best score so far against wall-clock time",
      caption:
        "The paper's Figure 7: for each task, the hidden test score of the best valid program each run had finished by that time. Time counts from the run's first rollout. Lines step up (or down, for lower-is-better metrics) when a better program finishes and are carried on to the run's last finished rollout.",
      notes: [
        ...(best.length === 0 ? ["No run has a valid submission with a test score, so there is nothing to plot."] : []),
        ...(noValid.length > 0 && best.length > 0 ? [`No valid submission at all (so no line) for: ${noValid.join(", ")}.`] : []),
      ],
    },
    spec: best.length
      ? bestSoFarChart(
          best,
          tasks.filter((t) => best.some((p) => p.task === t.taskId)),
          methods,
        )
      : null,
  });

  const { reward, valid } = rewardSeries(groups);
  jobs.push({
    entry: {
      file: reward.length ? "reward.png" : null,
      title: "Reward and valid submissions over training",
      caption:
        "Reward of finished rollouts and the share that wrote a valid submission, as trailing moving averages in finishing order (all tasks of a run together). Rewards of methods with different reward rules (e.g. without instrumentation) are not on the same scale; the valid share is.",
      notes: reward.length === 0 ? ["No run has finished rollouts."] : [],
    },
    spec: reward.length ? rewardChart(reward, valid, methods) : null,
  });

  const dt = durationSeries(groups);
  jobs.push({
    entry: {
      file: dt.length ? "duration.png" : null,
      title: "Execution time (Δt) of sampled programs over training",
      caption:
        "Mean execution time of the programs sampled in consecutive windows of rollouts, in the order they were sampled (finishing order would over-count fast programs). Without duration-aware updates the paper sees this collapse toward fast, weak programs.",
      notes: dt.length === 0 ? ["No rollout has an execution time."] : [],
    },
    spec: dt.length ? durationChart(dt, methods) : null,
  });

  const outcomes = outcomeShares(groups);
  const stages = failureStageShares(groups);
  const stageNotes: string[] = [];
  if (outcomes.length === 0) stageNotes.push("No run has finished rollouts.");
  else if (stages.length > 0 && stages.every((s) => s.category === "no milestone"))
    stageNotes.push("No failed program reached any milestone: runs without instrumentation (or simulated ones) record none.");
  jobs.push({
    entry: {
      file: outcomes.length ? "outcomes.png" : null,
      title: "How programs ended, and where failed ones stopped",
      caption:
        "Top: share of finished programs per outcome (valid submission, or the failure kind: syntax, runtime_error, timeout, killed, no_submission, invalid_submission). Bottom: for failed programs, the furthest instrumentation milestone they reached before failing.",
      notes: stageNotes,
    },
    spec: outcomes.length ? outcomeChart(outcomes, stages, methods, STAGE_ORDER) : null,
  });
  return jobs;
}

/** The resources line: the machine, each method's executors and minutes used per seed, the split, test feedback. */
function resourcesOf(runs: readonly LoadedRun[], groups: readonly MethodGroup[]): Resources {
  const machine = runs.find((r) => r.machine !== null)?.machine ?? null;
  const splits = [
    ...new Set(
      runs.map((r) =>
        r.split
          ? `${Math.round(r.split.reportFraction * 100)}% of each task's answers held out for reports (salt ${r.split.salt})`
          : "none (scored on every answer)",
      ),
    ),
  ];
  const feedback = [...new Set(runs.filter((r) => r.rollouts.length > 0 && r.testFeedback !== "none").map((r) => r.testFeedback))];
  return {
    cores: machine?.cores ?? null,
    memoryGiB: machine?.memoryGiB ?? null,
    methods: groups.map((g) => ({
      method: g.name,
      executors: g.runs.find((r) => r.executors !== null)?.executors ?? null,
      minutesPerSeed: g.runs.filter((r) => r.executorSec !== null && r.executors !== null).map((r) => r.executorSec! / r.executors! / 60),
    })),
    policy: [...new Set(runs.map((r) => r.policy).filter((p): p is string => p !== null))].join(", ") || "–",
    split: splits.join("; "),
    // "all" wins: a report with any run trained on every answer says so first.
    testFeedback: feedback.includes("all")
      ? "all (trained with test feedback)"
      : feedback.includes("reward split")
        ? "reward split"
        : "none",
  };
}

export async function buildReport(opts: BuildOptions): Promise<BuildResult> {
  const dirs = expandRunDirs(opts.dirs);
  const runs = dirs.map((d) => loadRun(d));
  // Tables and plots see one replica per independent search; the runs table lists the directories.
  const groups = groupRuns(runs.flatMap(splitSeeds), opts.groupBy ?? "method");
  const methods = groups.map((g) => g.name);
  const tasks = tasksOf(groups, (id) => {
    const f = opts.taskLookup(id);
    return f ? { metric: f.metric, lowerIsBetter: f.lowerIsBetter } : null;
  });
  for (const run of runs) {
    const note = clockNote(run);
    if (note) run.notes.push(note);
  }
  const notes: string[] = [];
  const unknown = tasks.filter((t) => t.lowerIsBetter === null).map((t) => t.taskId);
  if (unknown.length > 0)
    notes.push(`Unknown metric direction for ${unknown.join(", ")} (not in the task registry, no eval.json): higher is taken as better.`);
  const notEvaluated = groups.filter((g) => g.runs.every((r) => r.evaluation === null)).map((g) => g.name);
  if (notEvaluated.length > 0)
    notes.push(`No eval.json for: ${notEvaluated.join(", ")} — missing from the evaluation table (run \`mlerl eval --run RUN_DIR\`).`);

  const jobs = plotJobs(groups, tasks, methods);
  const images = new Map<string, { png: Buffer; svg: string }>();
  const t0 = performance.now();
  for (const job of jobs) {
    if (!job.spec || !job.entry.file) continue;
    const img = await renderChart(job.spec);
    images.set(job.entry.file, img);
    job.entry.width = img.width;
    job.entry.height = img.height;
  }
  const renderSec = (performance.now() - t0) / 1000;

  const runLines: RunLine[] = runs.map((r) => ({
    dir: r.dir,
    name: r.name,
    method: r.method,
    label: r.label,
    rollouts: r.rollouts.length,
    updates: r.updates.length,
    elapsedSec: r.elapsedSec,
    evaluated: r.evaluation !== null,
    notes: r.notes,
  }));
  const thresholdsOf = (taskId: string): Thresholds | null =>
    groups
      .flatMap((g) => g.runs)
      .flatMap((r) => r.evaluation?.tasks ?? [])
      .find((t) => t.taskId === taskId)?.thresholds ??
    opts.taskLookup(taskId)?.thresholds ??
    null;
  const comparison = comparisonTables(groups, tasks, thresholdsOf);
  const model: ReportModel = {
    createdAt: (opts.now ?? new Date()).toISOString(),
    resources: resourcesOf(runs, groups),
    comparison,
    aggregates: aggregateByMethod(comparison, methods),
    knownIssues: tasks
      .map((t) => ({ taskId: t.taskId, lines: opts.taskLookup(t.taskId)?.knownIssues ?? [] }))
      .filter((k) => k.lines.length > 0),
    methods,
    runs: runLines,
    tasks,
    evaluation: evalTables(groups),
    training: trainingTables(groups, tasks),
    plots: jobs.map((j) => j.entry),
    notes,
  };
  const files = writeReport(opts.out, model, images);
  return { model, files, renderSec };
}
