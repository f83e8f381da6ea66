/**
 * The report as markdown (pure: model in, text out), and writing it with its PNGs into the output directory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TaskInfo } from "./groups.js";
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

export interface ReportModel {
  createdAt: string;
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

function evaluationSection(model: ReportModel): string[] {
  const out = ["## Evaluation: selected test score", ""];
  if (model.evaluation.length === 0) {
    out.push(
      "No run has an eval.json, so there is no evaluation table. Evaluate a training run with `mlerl eval --run RUN_DIR`; `mlerl baseline` writes its own.",
      "",
    );
    return out;
  }
  out.push(
    "The test-time procedure's selected solution, scored on the hidden test set: mean ± std over seeds of the per-seed mean (several run directories of one method count as several seeds). **Bold** marks the best mean per task; – means no valid submission.",
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
    "What each run's own rollouts reached (training rollouts of RL runs, executed nodes of baseline searches). Best score = per run, the hidden test score of its best valid rollout, then mean ± std over the method's runs. The test score is never shown to the policy; picking the best by it is an oracle, so compare methods here only as a view of the search, and use the evaluation table for the method's result.",
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
  if (model.notes.length > 0) {
    for (const n of model.notes) lines.push(`> ${n}`, "");
  }
  lines.push(...evaluationSection(model), ...trainingSection(model), ...plotsSection(model), ...runsSection(model));
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
