import { parse } from "csv-parse/sync";
import type { TaskSpec } from "../core/task.js";
import type { Table } from "./table.js";

/**
 * Bounds on a submission, derived from the task's answers, checked before the submission is read or parsed: a
 * hostile file must not cost the grader more than a generous multiple of what an honest one costs. They are
 * loose on purpose (an honest submission is about as large as the answers, give or take the digits of its
 * probabilities and a few extra columns), so every submission the graders would score still reaches them and
 * gets their exact verdict and message.
 */

const MIB = 1024 * 1024;
/** Bytes: a floor for small tasks, a multiple of the answers for the rest, and a ceiling. */
const MIN_BYTES = 16 * MIB;
const BYTES_PER_ANSWER_BYTE = 32;
const MAX_BYTES = 1024 * MIB;

/** Largest submission file graded (and copied out of the sandbox) for an answers file of this size. */
export function maxSubmissionBytes(answersBytes: number): number {
  return Math.min(MAX_BYTES, Math.max(MIN_BYTES, BYTES_PER_ANSWER_BYTE * answersBytes));
}

/** Most columns a submission may have: a multiple of what the task expects (class probabilities fit easily). */
export function maxSubmissionColumns(spec: TaskSpec, answers: Table): number {
  return 4 * Math.max(answers.header.length, spec.submissionColumns.length) + 256;
}

/** Most physical lines (header included): twice the test set, plus slack for blank lines and quoted line breaks. */
export function maxSubmissionLines(answers: Table): number {
  return 2 * answers.rowCount + 1024;
}

function countLines(text: string, stopAfter: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) if (++n > stopAfter) break;
  return text.length > 0 && !text.endsWith("\n") ? n + 1 : n;
}

/**
 * Why the submission text is out of bounds (header too wide, far too many rows), or null. Only the header line
 * is parsed; rows are counted as line breaks.
 */
export function precheckSubmission(text: string, spec: TaskSpec, answers: Table): string | null {
  const limit = maxSubmissionLines(answers);
  const lines = countLines(text, limit);
  if (lines > limit) {
    return `the submission has more than ${limit} lines but the test set has ${answers.rowCount} rows: write exactly one row per test id`;
  }
  let header: string[] | undefined;
  try {
    header = (
      parse(text, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, to_line: 1 }) as string[][]
    )[0];
  } catch {
    return null; // the full parse reports the CSV error with its line
  }
  const maxColumns = maxSubmissionColumns(spec, answers);
  if (header && header.length > maxColumns) {
    return `the submission's header has ${header.length} columns (at most ${maxColumns} are read); the submission needs ${spec.submissionColumns.map((c) => `'${c}'`).join(", ")}`;
  }
  return null;
}
