/**
 * The report as markdown (pure: model in, text out), and writing it with its PNGs into the output directory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TaskInfo } from "./groups.js";
import type { GradingSummary } from "../grading/aggregate.js";
import type { CompareTable, MeanSem } from "./compare.js";
import type { EvalTaskTable, MeanStd, TrainingTaskTable } from "./tables.js";

export interface RunLine {
  dir: string;
  name: string;
  method: string;
  label: string | null;
  rollouts: number;
  updates: number;
  elapsedSec: number | null;
  evaluated: boolean;
  notes: string[];
}

export interface PlotEntry {
  /** File name inside the output directory; null when there was nothing to draw. */
  file: string | null;
  title: string;
  /** What the plot shows and how to read it. */
  caption: string;
  /** Why the plot is missing, or what to keep in mind reading it. */
  notes: string[];
  width?: number;
  height?: number;
}

/** The resources line every report starts with. */
export interface Resources {
  cores: number | null;
  memoryGiB: number | null;
  /** Per method: executors, and minutes of its budget actually used (executor-seconds / executors), per seed. */
  methods: Array<{ method: string; executors: number | null; minutesPerSeed: number[] }>;
  policy: string;
  /** e.g. "50% of each task's answers held out for reports (salt split-v1)". */
  split: string;
  /** Test feedback during training, over the report's runs. */
  testFeedback: string;
}

export interface ReportModel {
  createdAt: string;
  resources: Resources;
  comparison: CompareTable[];
  aggregates: Array<{ method: string; summary: GradingSummary }>;
  /** Per task, what is known to be wrong with it (MLE-bench's known issues). */
  knownIssues: Array<{ taskId: string; lines: string[] }>;
  methods: string[];
  runs: RunLine[];
  tasks: TaskInfo[];
  evaluation: EvalTaskTable[];
  training: TrainingTaskTable[];
  plots: PlotEntry[];
  notes: string[];
}

/** Scores of very different scales (AUC ≈ 0.9, RMSLE ≈ 0.05, log loss ≈ 1.2) each keep 3 significant decimals. */
export function fmtNum(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 0.1) return x.toFixed(3);
  return x.toPrecision(3);
}

/** "mean ± std"; just the mean when it comes from one seed (a std of 0 would read as "no spread"). */
export function fmtMeanStd(m: MeanStd, n = 2): string {
  if (m.mean === null) return "–";
  return m.std === null || n < 2 ? fmtNum(m.mean) : `${fmtNum(m.mean)} ± ${fmtNum(m.std)}`;
}

export function fmtPct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function fmtSec(s: number | null): string {
  if (s === null) return "–";
  return s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}

/** Markdown table cells must not contain raw pipes or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

const arrow = (lowerIsBetter: boolean) => (lowerIsBetter ? "↓" : "↑");

/** "mean ± sem"; just the mean for one seed. */
export function fmtMeanSem(m: MeanSem): string {
  if (m.mean === null) return "–";
  return m.sem === null ? fmtNum(m.mean) : `${fmtNum(m.mean)} ± ${fmtNum(m.sem)}`;
}

function resourcesSection(model: ReportModel): string[] {
  const r = model.resources;
  const used = r.methods
    .map((m) => {
      const per = m.minutesPerSeed.map((x) => x.toFixed(1)).join(" / ");
      return `${m.method} ${per || "–"} min${m.executors !== null ? ` on ${m.executors} executor${m.executors === 1 ? "" : "s"}` : ""}`;
    })
    .join("; ");
  return [
    `**Resources:** ${r.cores ?? "?"} cores, ${r.memoryGiB !== null ? `${r.memoryGiB.toFixed(0)} GiB` : "? GiB"}; minutes used per seed: ${used}; policy: ${r.policy}; reward split: ${r.split}; **test feedback during training: ${r.testFeedback}**.`,
    "",
  ];
}

function comparisonSection(model: ReportModel): string[] {
  const out = ["## At equal budget: what each method would submit", ""];
  if (model.comparison.length === 0) return [...out, "No run has finished executions.", ""];
  out.push(
    "Per method, seed and task: the program the method would submit at the end of its budget, picked by the same agent-visible rule for every method (among valid submissions, the best printed validation metric; without one, the earliest valid submission), over all its executions (RL: its training rollouts and its test-time procedure). Scored on the **report split** only: mean ± standard error over seeds; – means no valid submission. **Bold** marks the best mean per task.",
    "",
  );
  const methods = model.methods.filter((m) => model.comparison.some((t) => t.rows.some((r) => r.method === m)));
  out.push(
    table(
      ["task", "metric", ...methods],
      model.comparison.map((t) => [
        t.taskId,
        `${t.metric ?? "score"} ${arrow(t.lowerIsBetter)}`,
        ...methods.map((m) => {
          const row = t.rows.find((r) => r.method === m);
          if (!row) return "not run";
          const s = fmtMeanSem(row.score);
          const cellText = row.score.n < row.picks.length ? `${s} (${row.score.n}/${row.picks.length} valid)` : s;
          return t.best === m ? `**${cellText}**` : cellText;
        }),
      ]),
    ),
    "",
  );
  const rows = model.aggregates.filter((a) => methods.includes(a.method));
  if (rows.length > 0) {
    const pct = (x: number | null) => (x === null ? "–" : `${x.toFixed(0)}%`);
    out.push("### Per method over tasks and seeds (MLE-bench's aggregate)", "");
    out.push(
      table(
        ["method", "runs (task × seed)", "valid", "above median", "any medal", "gold", "silver", "bronze"],
        rows.map((a) => [
          a.method,
          String(a.summary.total_runs),
          pct(a.summary.percent_of_runs.valid_submissions),
          pct(a.summary.percent_of_runs.above_median),
          pct(a.summary.percent_of_runs.any_medal),
          pct(a.summary.percent_of_runs.gold_medal),
          pct(a.summary.percent_of_runs.silver_medal),
          pct(a.summary.percent_of_runs.bronze_medal),
        ]),
      ),
      "",
    );
  }
  return out;
}

function knownIssuesSection(model: ReportModel): string[] {
  if (model.knownIssues.length === 0) return [];
  const out = ["### Known issues of these tasks", ""];
  for (const k of model.knownIssues) for (const l of k.lines) out.push(`- ${k.taskId}: ${l}`);
  out.push("");
  return out;
}

function evaluationSection(model: ReportModel): string[] {
  const out = ["## The test-time procedure alone: selected report-split score", ""];
  if (model.evaluation.length === 0) {
    out.push(
      "No run has an eval.json, so there is no evaluation table. Evaluate a training run with `mlerl eval --run RUN_DIR`; `mlerl baseline` writes its own.",
      "",
    );
    return out;
  }
  out.push(
    "The paper's protocol for RL: one solution from scratch and one improvement, the better kept by its printed validation metric; a baseline's row is its own final pick. Scored on the report split: mean ± std over seeds of the per-seed mean (several run directories of one method count as several seeds). **Bold** marks the best mean per task; – means no valid submission.",
    "",
  );
  const methods = model.methods;
  out.push(
    table(
      ["task", "metric", ...methods],
      model.evaluation.map((t) => [
        t.taskId,
        `${t.metric} ${arrow(t.lowerIsBetter)}`,
        ...methods.map((m) => {
          const row = t.rows.find((r) => r.method === m);
          if (!row) return "not evaluated";
          const s = fmtMeanStd(row.score, row.seeds);
          return t.best === m ? `**${s}**` : s;
        }),
      ]),
    ),
    "",
  );
  out.push("### Per task: validity, medals and best-of-N", "");
  out.push(
    "Valid = share of attempts whose selected solution is a valid submission; medal columns = share of attempts earning that medal against the task's thresholds; best-of-N = per seed, the test score of the attempt with the best agent-visible validation metric.",
    "",
  );
  for (const t of model.evaluation) {
    out.push(`#### ${t.taskId} (${t.metric} ${arrow(t.lowerIsBetter)})`, "");
    out.push(
      table(
        [
          "method",
          "runs",
          "seeds",
          "attempts",
          "test score (mean ± std)",
          "valid",
          "gold",
          "silver",
          "bronze",
          "any medal",
          "best-of-N (mean ± std)",
        ],
        t.rows.map((r) => [
          r.method,
          String(r.runs),
          String(r.seeds),
          String(r.attempts),
          fmtMeanStd(r.score, r.seeds),
          fmtPct(r.validRate),
          fmtPct(r.medalRates.gold),
          fmtPct(r.medalRates.silver),
          fmtPct(r.medalRates.bronze),
          fmtPct(r.medalRates.any),
          fmtMeanStd(r.bestOfN, r.seeds),
        ]),
      ),
      "",
    );
    if (t.missing.length > 0) out.push(`Not evaluated on this task: ${t.missing.join(", ")}.`, "");
  }
  return out;
}

function trainingSection(model: ReportModel): string[] {
  const out = ["## During training or search", ""];
  if (model.training.length === 0) {
    out.push("No run has finished rollouts, so there is nothing to show from training or search.", "");
    return out;
  }
  out.push(
    "What each run's own rollouts reached (training rollouts of RL runs, executed nodes of baseline searches). Best score = per run, the report-split score of its best valid rollout, then mean ± std over the method's runs. Picking the best by a report-split score is an oracle no method may use, so read this as a view of the search; the equal-budget table above is each method's result.",
    "",
  );
  const rows: string[][] = [];
  for (const t of model.training) {
    for (const r of t.rows) {
      const best = fmtMeanStd(r.best, r.runsWithValid);
      rows.push([
        t.taskId,
        `${t.metric ?? "score"} ${arrow(t.lowerIsBetter)}${t.directionAssumed ? " (assumed)" : ""}`,
        r.method,
        String(r.runs),
        String(r.rollouts),
        fmtPct(r.validShare),
        t.best === r.method && t.rows.length > 1 ? `**${best}**` : best,
        fmtNum(r.bestOverall),
        fmtSec(r.meanDt),
      ]);
    }
  }
  out.push(
    table(["task", "metric", "method", "runs", "rollouts", "valid", "best score (mean ± std)", "best of all runs", "mean Δt"], rows),
    "",
  );
  return out;
}

function plotsSection(model: ReportModel): string[] {
  const out = ["## Plots", ""];
  for (const p of model.plots) {
    out.push(`### ${p.title}`, "");
    if (p.file) out.push(`![${p.title}](${p.file})`, "");
    out.push(p.caption, "");
    for (const n of p.notes) out.push(`> ${n}`, "");
  }
  return out;
}

function runsSection(model: ReportModel): string[] {
  const out = ["## Runs", ""];
  out.push(
    table(
      ["method", "label", "run", "rollouts", "updates", "elapsed", "eval.json"],
      model.runs.map((r) => [
        r.method,
        r.label ?? "",
        r.dir,
        String(r.rollouts),
        String(r.updates),
        fmtSec(r.elapsedSec),
        r.evaluated ? "yes" : "no",
      ]),
    ),
    "",
  );
  const noted = model.runs.filter((r) => r.notes.length > 0);
  if (noted.length > 0) {
    out.push("Notes on runs:", "");
    for (const r of noted) for (const n of r.notes) out.push(`- \`${r.name}\` (${r.method}): ${n}`);
    out.push("");
  }
  return out;
}

export function reportMarkdown(model: ReportModel): string {
  const lines = [
    "# mlerl report",
    "",
    `Generated ${model.createdAt} from ${model.runs.length} run director${model.runs.length === 1 ? "y" : "ies"}; methods: ${model.methods.join(", ")}. What each table and plot shows is described in docs/report.md.`,
    "",
  ];
  lines.push(...resourcesSection(model));
  if (model.notes.length > 0) {
    for (const n of model.notes) lines.push(`> ${n}`, "");
  }
  lines.push(
    ...comparisonSection(model),
    ...knownIssuesSection(model),
    ...evaluationSection(model),
    ...trainingSection(model),
    ...plotsSection(model),
    ...runsSection(model),
  );
  return (
    lines
      .join("\n")
      .replace(/\n{3,}/g, "\n\n")
      .trimEnd() + "\n"
  );
}

/** Writes report.md and the PNGs (with their SVG sources) into `outDir`; returns the paths written. */
export function writeReport(outDir: string, model: ReportModel, images: ReadonlyMap<string, { png: Buffer; svg: string }>): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const [file, img] of images) {
    writeFileSync(join(outDir, file), img.png);
    writeFileSync(join(outDir, file.replace(/\.png$/, ".svg")), img.svg);
    written.push(join(outDir, file));
  }
  const md = join(outDir, "report.md");
  writeFileSync(md, reportMarkdown(model));
  written.unshift(md);
  return written;
}
