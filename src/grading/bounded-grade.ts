import { statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { GradeAnswer, type GradeJob } from "./grade-worker.js";
import { answersPath, brokenAnswers, buildReport, submissionFileProblem, type GradeReport } from "./report.js";
import { roundScore } from "./medals.js";
import type { SplitSettings } from "./split.js";
import type { PartScore } from "./split-score.js";
import { maxSubmissionBytes } from "./submission-limits.js";

/**
 * Grading that never takes mlerl down: the submission is read, parsed and scored in a worker thread with a
 * heap limit of its own and a deadline. A grader that runs out of memory, throws, or takes too long ends that
 * thread only, and the submission gets an invalid verdict whose `error` says why. Broken answers are still a
 * UserError (not the submission's fault). The verdict for every submission the graders can score is exactly
 * the in-process gradeSubmission's.
 */

export interface GradeBounds {
  /** Wall-clock seconds one grading may take. */
  timeoutSec: number;
  /** Heap of the grading thread, MiB. */
  memoryMb: number;
}

export const DEFAULT_GRADE_BOUNDS: GradeBounds = { timeoutSec: 120, memoryMb: 2048 };

type Outcome = { kind: "answer"; answer: GradeAnswer } | { kind: "timeout" } | { kind: "died"; code: string | undefined; message: string };

/** One worker thread, reused while it stays healthy; jobs run one at a time (grading takes milliseconds). */
class GradeThread {
  private worker: Worker | null = null;
  private memoryMb = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  run(job: Omit<GradeJob, "id">, bounds: GradeBounds): Promise<Outcome> {
    const result = this.queue.then(() => this.runNow({ ...job, id: this.nextId++ }, bounds));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private start(memoryMb: number): Worker {
    if (this.worker && this.memoryMb === memoryMb) return this.worker;
    void this.worker?.terminate();
    const entry = new URL(import.meta.url.endsWith(".ts") ? "./grade-worker.ts" : "./grade-worker.js", import.meta.url).href;
    this.worker = new Worker(new URL("./grade-worker-boot.mjs", import.meta.url), {
      workerData: { entry },
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, memoryMb / 16)) },
    });
    this.memoryMb = memoryMb;
    return this.worker;
  }

  private runNow(job: GradeJob, bounds: GradeBounds): Promise<Outcome> {
    const worker = this.start(bounds.memoryMb);
    worker.ref();
    return new Promise<Outcome>((resolve) => {
      const done = (o: Outcome, healthy: boolean) => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        worker.unref();
        if (!healthy) {
          void worker.terminate();
          if (this.worker === worker) this.worker = null;
        }
        resolve(o);
      };
      const onMessage = (msg: unknown) => {
        const parsed = GradeAnswer.safeParse(msg);
        if (parsed.success && parsed.data.id === job.id) done({ kind: "answer", answer: parsed.data }, true);
      };
      const onError = (e: Error & { code?: string }) => done({ kind: "died", code: e.code, message: e.message }, false);
      const onExit = (code: number) => done({ kind: "died", code: undefined, message: `the grading thread exited (${code})` }, false);
      const timer = setTimeout(() => done({ kind: "timeout" }, false), bounds.timeoutSec * 1000);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(job);
    });
  }
}

const thread = new GradeThread();

/** Grade a submission file for a prepared task, within `bounds`, and build MLE-bench's report. */
export async function gradeBounded(
  spec: TaskSpec,
  paths: TaskPaths,
  submissionPath: string,
  bounds: Partial<GradeBounds> = {},
): Promise<GradeReport> {
  return (await gradeBoundedParts(spec, paths, submissionPath, null, bounds)).whole;
}

/**
 * A bounded grading on an answers split: `grade` is the report split's (its score and medals, MLE-bench's
 * fields), `scores` each part's and all answers' (rounded like MLE-bench's scores). An invalid file has null
 * scores and MLE-bench's invalid report.
 */
export async function gradeBoundedSplit(
  spec: TaskSpec,
  paths: TaskPaths,
  submissionPath: string,
  split: SplitSettings,
  bounds: Partial<GradeBounds> = {},
): Promise<{ grade: GradeReport; scores: { reward: number | null; report: number | null; all: number | null } }> {
  const { whole, parts } = await gradeBoundedParts(spec, paths, submissionPath, split, bounds);
  if (!whole.valid_submission || parts === null) return { grade: whole, scores: { reward: null, report: null, all: whole.score } };
  const grade = buildReport(spec, submissionPath, { exists: true, rawScore: parts.report.score, error: parts.report.error });
  const round = (x: number | null) => (x === null ? null : roundScore(x));
  return { grade, scores: { reward: round(parts.reward.score), report: grade.score, all: whole.score } };
}

/** The whole file's report, and each split part's unrounded score when a split was asked for. */
async function gradeBoundedParts(
  spec: TaskSpec,
  paths: TaskPaths,
  submissionPath: string,
  split: SplitSettings | null,
  bounds: Partial<GradeBounds>,
): Promise<{ whole: GradeReport; parts: { reward: PartScore; report: PartScore } | null }> {
  const none = (whole: GradeReport) => ({ whole, parts: null });
  const b = { ...DEFAULT_GRADE_BOUNDS, ...bounds };
  const problem = submissionFileProblem(submissionPath);
  if (problem) return none(buildReport(spec, submissionPath, { exists: false, rawScore: null, error: problem }));
  let answersBytes: number;
  try {
    answersBytes = statSync(answersPath(spec, paths)).size;
  } catch {
    throw brokenAnswers(spec, `the answers file ${answersPath(spec, paths)} does not exist`);
  }
  const invalid = (error: string) => buildReport(spec, submissionPath, { exists: true, rawScore: null, error });
  const maxBytes = maxSubmissionBytes(answersBytes);
  const size = statSync(submissionPath).size;
  if (size > maxBytes) return none(invalid(`the submission is ${size} bytes, over the ${maxBytes}-byte limit for this task`));
  const o = await thread.run({ spec, paths, submissionPath, maxBytes, split }, b);
  if (o.kind === "timeout")
    return none(invalid(`grading took longer than ${b.timeoutSec} s and was stopped; the submission cannot be scored`));
  if (o.kind === "died") {
    if (o.code === "ERR_WORKER_OUT_OF_MEMORY")
      return none(invalid(`grading ran out of memory (a ${b.memoryMb} MiB heap); the submission cannot be scored`));
    return none(invalid(`the grader failed: ${o.message}`));
  }
  const a = o.answer;
  if (a.kind === "user-error") throw new UserError(a.message, a.hint ?? undefined);
  if (a.kind === "failed") return none(invalid(`the grader failed on this submission: ${a.message}`));
  return { whole: buildReport(spec, submissionPath, { exists: true, rawScore: a.rawScore, error: a.error }), parts: a.parts };
}
