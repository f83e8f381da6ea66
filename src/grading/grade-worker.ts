import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { z } from "zod";
import { isUserError } from "../errors.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { readAnswers, scoreTables } from "./report.js";
import { precheckSubmission } from "./submission-limits.js";
import { TableError, parseTable } from "./table.js";

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
}

export const GradeAnswer = z.discriminatedUnion("kind", [
  z.object({ id: z.number(), kind: z.literal("scored"), rawScore: z.number().nullable(), error: z.string().nullable() }),
  z.object({ id: z.number(), kind: z.literal("user-error"), message: z.string(), hint: z.string().nullable() }),
  z.object({ id: z.number(), kind: z.literal("failed"), message: z.string() }),
]);
export type GradeAnswer = z.infer<typeof GradeAnswer>;

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
    if (e instanceof TableError) return { id: job.id, kind: "scored", rawScore: null, error: e.message };
    throw e;
  }
  const bound = precheckSubmission(text, job.spec, answers);
  if (bound) return { id: job.id, kind: "scored", rawScore: null, error: bound };
  let table;
  try {
    table = parseTable(text, "the submission");
  } catch (e) {
    if (e instanceof TableError) return { id: job.id, kind: "scored", rawScore: null, error: e.message };
    throw e;
  }
  return { id: job.id, kind: "scored", ...scoreTables(job.spec, table, answers) };
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
