import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { UserError, isUserError } from "../errors.js";
import { GradingSummary, aggregateReports } from "./aggregate.js";
import { gradeBounded } from "./bounded-grade.js";
import { GradeReport } from "./report.js";

/**
 * MLE-bench's batch grading (`mlebench grade --submission FILE.jsonl`): one JSON object per line naming a
 * competition and a submission CSV; blank lines and lines starting with "#" or "//" are skipped, as MLE-bench
 * skips them. Relative submission paths are taken from the current directory, as MLE-bench takes them.
 */
export const BatchEntry = z.object({
  competition_id: z.string().min(1),
  submission_path: z.string().min(1),
});
export type BatchEntry = z.infer<typeof BatchEntry>;

export interface BatchLine extends BatchEntry {
  /** 1-based line of the JSONL file. */
  line: number;
}

/** The summary and every competition's report, in the order of the lines (MLE-bench's grading_report.json). */
export const BatchGradingReport = GradingSummary.extend({ competition_reports: z.array(GradeReport) });
export type BatchGradingReport = z.infer<typeof BatchGradingReport>;

const FORMAT_HINT =
  'write one JSON object per line, e.g. {"competition_id": "spooky-author-identification", "submission_path": "runs/spooky/submission.csv"}';

export function parseBatchFile(path: string): BatchLine[] {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`--submission ${path}: no such file`, FORMAT_HINT);
  const out: BatchLine[] = [];
  readFileSync(path, "utf8")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const text = raw.trim();
      if (text === "" || text.startsWith("#") || text.startsWith("//")) return;
      const where = `${path} line ${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new UserError(`${where} is not JSON: ${e instanceof Error ? e.message : String(e)}`, FORMAT_HINT);
      }
      const parsed = BatchEntry.safeParse(value);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "the line"}: ${issue.message}`).join("; ");
        throw new UserError(`${where}: ${problems}`, FORMAT_HINT);
      }
      out.push({ ...parsed.data, line: i + 1 });
    });
  if (out.length === 0) throw new UserError(`${path} lists no submissions`, FORMAT_HINT);
  return out;
}

/** The prepared task of a competition id; throws UserError (unknown or unprepared task). */
export type TaskResolver = (competitionId: string) => { spec: TaskSpec; paths: TaskPaths };

/**
 * Grade every line. Every task is resolved before any file is graded, so a typo on the last line costs nothing;
 * the error names the line.
 */
export async function gradeBatch(lines: readonly BatchLine[], resolveTask: TaskResolver, source: string): Promise<BatchGradingReport> {
  const tasks = lines.map((l) => {
    try {
      return resolveTask(l.competition_id);
    } catch (e) {
      if (isUserError(e)) throw new UserError(`${source} line ${l.line}: ${e.message}`, e.hint);
      throw e;
    }
  });
  // One at a time, each within the bounded grader: a batch of hostile files cannot take mlerl down either.
  const reports = [];
  for (const [i, l] of lines.entries()) {
    const { spec, paths } = tasks[i] as { spec: TaskSpec; paths: TaskPaths };
    reports.push(await gradeBounded(spec, paths, resolve(l.submission_path)));
  }
  return { ...aggregateReports(reports), competition_reports: reports };
}

/** MLE-bench's file name: `<UTC time as %Y-%m-%dT%H-%M-%S-GMT>_grading_report.json`. */
export function batchReportName(date = new Date()): string {
  const stamp = date
    .toISOString()
    .replace(/\.\d{3}Z$/, "")
    .replace(/:/g, "-");
  return `${stamp}-GMT_grading_report.json`;
}
