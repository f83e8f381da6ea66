import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../../errors.js";
import {
  batchReportName,
  formatGradeReport,
  gradeBatch,
  gradeBounded,
  parseBatchFile,
  type BatchGradingReport,
} from "../../grading/index.js";
import { requirePrepared } from "../../tasks/registry.js";
import { dataDirOf } from "../options.js";

const GradeOptions = z.object({
  task: z.string().min(1).optional(),
  submission: z.string().min(1),
  outputDir: z.string().min(1).optional(),
  json: z.boolean().optional(),
});
type GradeOptions = z.infer<typeof GradeOptions>;

const isBatch = (path: string) => path.toLowerCase().endsWith(".jsonl");

export function defineGrade(cmd: Command): void {
  cmd
    .option("--task <id>", "task id (see `mlerl tasks list`), e.g. mini-tabular-playground-series-may-2022 or an MLE-bench competition id")
    .requiredOption(
      "--submission <file>",
      "the submission CSV to grade (the file the program wrote to /home/submission/submission.csv), or a .jsonl file of {competition_id, submission_path} lines (relative paths from the current directory)",
    )
    .option("--output-dir <dir>", "with a .jsonl file: where <time>_grading_report.json goes (default: the current directory)")
    .option("--json", "print the report as JSON (MLE-bench's field names plus `error`); errors are JSON too")
    .action((raw: unknown, cmd: Command) => run(raw, cmd));
}

async function run(raw: unknown, cmd: Command): Promise<void> {
  const parsed = GradeOptions.safeParse(raw);
  if (!parsed.success) throw new UserError(`bad options for grade: ${parsed.error.message}`, "run `mlerl grade --help`");
  const opts = parsed.data;
  const dataDir = dataDirOf(cmd);
  if (isBatch(opts.submission)) {
    if (opts.task)
      throw new UserError(
        "--task cannot be combined with a .jsonl --submission: each line names its competition",
        "drop --task, or pass a single submission CSV",
      );
    await runBatch(opts, dataDir);
    return;
  }
  if (opts.outputDir) throw new UserError("--output-dir is only for a .jsonl --submission", "drop --output-dir to grade one CSV");
  if (!opts.task)
    throw new UserError(
      "grade needs --task <id> for a submission CSV",
      "e.g. `mlerl grade --task leaf-classification --submission submission.csv`",
    );
  const { spec, paths } = requirePrepared(opts.task, dataDir);
  const report = await gradeBounded(spec, paths, opts.submission);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatGradeReport(report));
  process.exitCode = report.valid_submission ? 0 : 1;
}

async function runBatch(opts: GradeOptions, dataDir: string): Promise<void> {
  const lines = parseBatchFile(opts.submission);
  const report = await gradeBatch(lines, (id) => requirePrepared(id, dataDir), opts.submission);
  const outDir = resolve(opts.outputDir ?? ".");
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`cannot create --output-dir ${outDir}: ${e instanceof Error ? e.message : String(e)}`, "pass a writable directory");
  }
  const path = join(outDir, batchReportName());
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ report_path: path, ...report }, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatBatch(report, path));
}

function formatBatch(report: BatchGradingReport, path: string): string {
  const rows = report.competition_reports.map((r) => [
    r.competition_id,
    r.score === null ? "-" : String(r.score),
    r.gold_medal ? "gold" : r.silver_medal ? "silver" : r.bronze_medal ? "bronze" : "-",
    r.above_median ? "yes" : "no",
    r.valid_submission ? "" : (r.error ?? "invalid"),
  ]);
  const header = ["competition_id", "score", "medal", "above_median", "error"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 4 ? 0 : (r[i] as string).length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 4 ? c.padEnd(widths[i] as number) : c))
      .join("  ")
      .trimEnd();
  const pct = (n: number | null) => (n === null ? "-" : `${n.toFixed(1)}%`);
  const p = report.percent_of_runs;
  return [
    line(header),
    ...rows.map(line),
    "",
    `runs ${report.total_runs}; with a submission ${report.total_runs_with_submissions}; valid ${report.total_valid_submissions} (${pct(p.valid_submissions)})`,
    `medals ${report.total_medals} (${pct(p.any_medal)}): gold ${report.total_gold_medals}, silver ${report.total_silver_medals}, bronze ${report.total_bronze_medals}; above median ${report.total_above_median} (${pct(p.above_median)})`,
    `report written to ${path}`,
    "",
  ].join("\n");
}
