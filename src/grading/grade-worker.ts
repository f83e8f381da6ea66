import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { z } from "zod";
import { isUserError } from "../errors.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { readAnswers, scoreTables } from "./report.js";
import { precheckSubmission } from "./submission-limits.js";
import { splitIds, type AnswersSplit, type SplitSettings } from "./split.js";
import { scoreSplit } from "./split-score.js";
import { TableError, parseTable, type Table } from "./table.js";

const PartScoreSchema = z.object({ score: z.number().nullable(), error: z.string().nullable() });

/**
 * The grading worker thread (bounded-grade.ts starts it): reads the answers and the submission, checks the
 * submission's bounds, parses and scores it. Everything that can blow up on a hostile file happens here, on a
 * heap of its own, so the worst a submission can do is end this thread.
 */

/** What the main thread asks (its own data, structured-cloned). */
export interface GradeJob {
  id: number;
  spec: TaskSpec;
  paths: TaskPaths;
  submissionPath: string;
  maxBytes: number;
  /** Also score each part of this answers split (a valid submission only). */
  split?: SplitSettings | null;
}

export const GradeAnswer = z.discriminatedUnion("kind", [
  z.object({
    id: z.number(),
    kind: z.literal("scored"),
    rawScore: z.number().nullable(),
    error: z.string().nullable(),
    /** Unrounded scores of the split's parts, when a split was asked for and the file is valid. */
    parts: z.object({ reward: PartScoreSchema, report: PartScoreSchema }).nullable().default(null),
  }),
  z.object({ id: z.number(), kind: z.literal("user-error"), message: z.string(), hint: z.string().nullable() }),
  z.object({ id: z.number(), kind: z.literal("failed"), message: z.string() }),
]);
export type GradeAnswer = z.infer<typeof GradeAnswer>;

/** A task's split, drawn once per thread (hashing every answer id on every rollout would be wasted work). */
const splits = new Map<string, AnswersSplit>();
function splitOf(spec: TaskSpec, answers: Table, settings: SplitSettings): AnswersSplit {
  const key = JSON.stringify([spec.id, settings.reportFraction, settings.salt, answers.rowCount, answers.source]);
  let s = splits.get(key);
  if (!s) {
    s = splitIds(spec, answers, settings);
    splits.set(key, s);
  }
  return s;
}

/** The submission's text, read through one descriptor, refused unread above `maxBytes` (a sparse file included). */
function readBounded(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new TableError(`cannot read the submission: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new TableError(`the submission is ${size} bytes, over the ${maxBytes}-byte limit for this task`);
    const buf = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function grade(job: GradeJob): GradeAnswer {
  const answers = readAnswers(job.spec, job.paths);
  let text: string;
  try {
    text = readBounded(job.submissionPath, job.maxBytes);
  } catch (e) {
    if (e instanceof TableError) return { id: job.id, kind: "scored", rawScore: null, error: e.message, parts: null };
    throw e;
  }
  const bound = precheckSubmission(text, job.spec, answers);
  if (bound) return { id: job.id, kind: "scored", rawScore: null, error: bound, parts: null };
  let table;
  try {
    table = parseTable(text, "the submission");
  } catch (e) {
    if (e instanceof TableError) return { id: job.id, kind: "scored", rawScore: null, error: e.message, parts: null };
    throw e;
  }
  const whole = scoreTables(job.spec, table, answers);
  if (!job.split || whole.rawScore === null) return { id: job.id, kind: "scored", ...whole, parts: null };
  const scores = scoreSplit(job.spec, table, answers, splitOf(job.spec, answers, job.split));
  return { id: job.id, kind: "scored", ...whole, parts: { reward: scores.reward, report: scores.report } };
}

parentPort?.on("message", (job: GradeJob) => {
  let answer: GradeAnswer;
  try {
    answer = grade(job);
  } catch (e) {
    answer = isUserError(e)
      ? { id: job.id, kind: "user-error", message: e.message, hint: e.hint ?? null }
      : { id: job.id, kind: "failed", message: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(answer);
});
