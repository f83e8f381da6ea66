import { existsSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { AnswersError } from "./answers.js";
import { InvalidSubmission } from "./checks.js";
import { graderFor } from "./competitions.js";
import { medalsFor, roundScore } from "./medals.js";
import { TableError, readTable, type Table } from "./table.js";

export { GradeReport } from "../core/grade.js";
import type { GradeReport } from "../core/grade.js";

export interface GradeOutcome {
  /** The unrounded score, or null. */
  rawScore: number | null;
  error: string | null;
}

/**
 * Score a submission table against the answers table with the task's grader. Never throws for a bad submission
 * (that is an outcome with an error); throws UserError when the answers themselves are broken.
 */
export function scoreTables(spec: TaskSpec, submission: Table, answers: Table): GradeOutcome {
  try {
    const score = graderFor(spec).grade(submission, answers);
    if (!Number.isFinite(score)) return { rawScore: null, error: `the score is ${score}, not a number; the submission cannot be ranked` };
    return { rawScore: score, error: null };
  } catch (e) {
    if (e instanceof InvalidSubmission) return { rawScore: null, error: e.message };
    if (e instanceof AnswersError) throw brokenAnswers(spec, e.message);
    throw e;
  }
}

export function brokenAnswers(spec: TaskSpec, message: string): UserError {
  const fix =
    spec.source === "builtin"
      ? `re-create the task's files with \`mlerl tasks prepare ${spec.id}\``
      : `re-run \`mlebench prepare -c ${spec.competition}\` (the private answers look damaged)`;
  return new UserError(`cannot grade ${spec.id}: ${message}`, fix);
}

/** The answers file of a prepared task. */
export function answersPath(spec: TaskSpec, paths: TaskPaths): string {
  return join(paths.privateDir, spec.answersFile);
}

/** The answers table; UserError (with the fix) when it is missing or unreadable. */
export function readAnswers(spec: TaskSpec, paths: TaskPaths): Table {
  const path = answersPath(spec, paths);
  if (!existsSync(path)) throw brokenAnswers(spec, `the answers file ${path} does not exist`);
  try {
    return readTable(path);
  } catch (e) {
    if (e instanceof TableError) throw brokenAnswers(spec, e.message);
    throw e;
  }
}

/** Why a path cannot be a submission at all (missing, not a file, not .csv), or null. */
export function submissionFileProblem(submissionPath: string): string | null {
  const isFile = existsSync(submissionPath) && statSync(submissionPath).isFile();
  if (!isFile) return existsSync(submissionPath) ? `${submissionPath} is not a file` : `no submission file at ${submissionPath}`;
  if (extname(submissionPath).toLowerCase() !== ".csv")
    return `${submissionPath} is not a .csv file; write the submission as CSV (e.g. submission.csv)`;
  return null;
}

/** Grade a submission file for a prepared task and build MLE-bench's report. In-process: for trusted files (see bounded-grade.ts). */
export function gradeSubmission(spec: TaskSpec, paths: TaskPaths, submissionPath: string): GradeReport {
  let error = submissionFileProblem(submissionPath);
  let rawScore: number | null = null;
  const exists = error === null;
  if (exists) {
    const answers = readAnswers(spec, paths);
    let submission: Table | undefined;
    try {
      submission = readTable(submissionPath, "the submission");
    } catch (e) {
      if (!(e instanceof TableError)) throw e;
      error = e.message;
    }
    if (submission) ({ rawScore, error } = scoreTables(spec, submission, answers));
  }
  return buildReport(spec, submissionPath, { exists, rawScore, error });
}

/** MLE-bench's report for an outcome: the score rounded, medals from the task's thresholds. */
export function buildReport(
  spec: TaskSpec,
  submissionPath: string,
  o: { exists: boolean; rawScore: number | null; error: string | null },
): GradeReport {
  const score = o.rawScore === null ? null : roundScore(o.rawScore);
  const t = spec.thresholds;
  const medals = medalsFor(score, t, spec.lowerIsBetter);
  // Field order as MLE-bench writes its reports.
  return {
    competition_id: spec.id,
    score,
    gold_threshold: t?.gold ?? null,
    silver_threshold: t?.silver ?? null,
    bronze_threshold: t?.bronze ?? null,
    median_threshold: t?.median ?? null,
    any_medal: medals.any_medal,
    gold_medal: medals.gold_medal,
    silver_medal: medals.silver_medal,
    bronze_medal: medals.bronze_medal,
    above_median: medals.above_median,
    submission_exists: o.exists,
    valid_submission: score !== null,
    is_lower_better: spec.lowerIsBetter,
    created_at: new Date().toISOString(),
    submission_path: submissionPath,
    error: o.error,
  };
}

/** The report as aligned `field: value` lines, MLE-bench's field names first, then the error if any. */
export function formatGradeReport(report: GradeReport): string {
  const fmt = (v: unknown) => (v === null ? "-" : typeof v === "boolean" ? (v ? "yes" : "no") : String(v));
  const rows: [string, unknown][] = [
    ["competition_id", report.competition_id],
    ["score", report.score],
    ["is_lower_better", report.is_lower_better],
    ["gold_threshold", report.gold_threshold],
    ["silver_threshold", report.silver_threshold],
    ["bronze_threshold", report.bronze_threshold],
    ["median_threshold", report.median_threshold],
    ["any_medal", report.any_medal],
    ["gold_medal", report.gold_medal],
    ["silver_medal", report.silver_medal],
    ["bronze_medal", report.bronze_medal],
    ["above_median", report.above_median],
    ["submission_exists", report.submission_exists],
    ["valid_submission", report.valid_submission],
    ["submission_path", report.submission_path],
    ["created_at", report.created_at],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${fmt(v)}`);
  if (report.error) lines.push(`${"error".padEnd(width)}  ${report.error}`);
  return `${lines.join("\n")}\n`;
}
