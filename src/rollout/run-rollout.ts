import { rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SplitConfig } from "../core/config.js";
import { ROLLOUT_RECORD_VERSION, type ExecutionSummary, type RolloutRecord, type SplitScores } from "../core/rollout.js";
import {
  answersPath,
  buildReport,
  gradeBounded,
  gradeBoundedSplit,
  maxSubmissionBytes,
  type GradeBounds,
  type GradeReport,
} from "../grading/index.js";
import {
  launchArgs,
  launchStdin,
  MarkerReportSchema,
  MarkerScanner,
  markerTags,
  newNonce,
  stripMarkers,
  tamperingVerdict,
  type Instrumenter,
  type MarkerReport,
  type Tampering,
} from "../instrument/index.js";
import { computeReward } from "../reward/index.js";
import type { RewardConfigInput } from "../reward/config.js";
import type { ExecLimits, ExecResult, Executor } from "../sandbox/executor.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";

export interface RolloutRun {
  /** The record the store keeps and every reader reads (graded: a real run always has a grade). */
  record: RolloutRecord & { grade: GradeReport };
  /** The raw execution (its output streams are files beside the record). */
  execution: ExecResult;
}

/**
 * One program through the whole environment: instrument it (markers tagged with a fresh per-execution
 * nonce), run it in the executor, read back the genuine markers, grade the submission outside the sandbox and
 * apply the reward rule. The nonce lives only in this function's frame: the program gets per-kind tags on its
 * stdin, the agent gets output with every marker removed.
 */
export async function runRollout(opts: {
  executor: Executor;
  instrumenter: Instrumenter | null;
  spec: TaskSpec;
  paths: TaskPaths;
  code: string;
  outDir: string;
  limits?: Partial<ExecLimits>;
  reward?: RewardConfigInput;
  /** How the task's answers are split and which part the reward scores; absent, the reward scores every answer. */
  split?: SplitConfig | null;
  signal?: AbortSignal;
  /** Time and memory of the grading thread (default DEFAULT_GRADE_BOUNDS). */
  gradeBounds?: Partial<GradeBounds>;
}): Promise<RolloutRun> {
  const nonce = newNonce();
  let instrumentNote: string | null = null;
  let syntaxError = false;
  let launch: { args: (p: string) => string[]; stdin: string } | undefined;
  let sites = 0;
  let outsideProfile: Tampering | null = null;
  if (opts.instrumenter) {
    const inst = await opts.instrumenter.instrument(opts.code, nonce);
    instrumentNote = inst.note ?? null;
    syntaxError = !inst.parsed;
    sites = inst.sites.length;
    outsideProfile = inst.tampering;
    // The file the program can read stays the original; the sites travel on stdin to the launcher. A program
    // outside the plain-ML profile runs plainly: no marker line ever enters its process.
    if (inst.parsed && inst.sites.length > 0 && !outsideProfile) launch = { args: launchArgs, stdin: launchStdin(inst.sites, nonce) };
  }
  const scanner = new MarkerScanner(nonce);
  // This rollout's verdicts only: nothing of an earlier run in a reused outDir may be read back as this one's.
  for (const f of ["grade.json", "reward.json", "submission.csv"]) rmSync(join(opts.outDir, f), { force: true, recursive: true });
  let answersBytes = 0;
  try {
    answersBytes = statSync(answersPath(opts.spec, opts.paths)).size;
  } catch {
    /* grading reports the missing answers */
  }
  const execution = await opts.executor.run({
    code: opts.code,
    publicDir: opts.paths.publicDir,
    outDir: opts.outDir,
    limits: opts.limits,
    signal: opts.signal,
    launch,
    onStdout: (chunk) => scanner.push(chunk),
    markerTags: markerTags(nonce),
    maxSubmissionBytes: maxSubmissionBytes(answersBytes),
  });
  // An executor on another machine scanned there, with this execution's tags (never the nonce).
  const markers = execution.markers ? MarkerReportSchema.parse(execution.markers) : scanner.finish();
  const tampering = tamperingVerdict(outsideProfile, markers);
  // Only the file this execution copied out is graded; without one there is no submission.
  const missingPath = join(opts.outDir, "submission.csv");
  const refused = (execution.notes ?? []).find((n) => n.startsWith("submission.csv refused: "));
  const { grade, scores } = execution.submissionPath
    ? await gradeOn(opts.spec, opts.paths, execution.submissionPath, opts.split ?? null, opts.gradeBounds)
    : {
        grade: buildReport(opts.spec, missingPath, {
          // A refused file (a symlink, over the size bound ...) was a submission, and an invalid one.
          exists: refused !== undefined,
          rawScore: null,
          error: refused ?? `no submission file at ${missingPath}`,
        }),
        scores: { reward: null, report: null, all: null },
      };
  // The reward sees the reward split only (or, by the paper's rule, every answer); reports read the report split.
  const rewardScore = opts.split ? (opts.split.trainOn === "all" ? scores.all : scores.reward) : grade.score;
  const pythonSyntaxError = execution.exitCode === 1 && /^(SyntaxError|IndentationError|TabError)\b/m.test(execution.stderr.text);
  const reward = computeReward(
    {
      exitCode: execution.exitCode,
      signal: execution.signal,
      timedOut: execution.timedOut,
      killed: execution.killed,
      syntaxError: syntaxError || pythonSyntaxError,
      grade: grade.submission_exists
        ? { valid_submission: rewardScore !== null, score: rewardScore, is_lower_better: grade.is_lower_better }
        : null,
      milestones: markers.milestones,
      validationMetric: markers.validationMetric,
      wallSec: execution.wallSec,
      tampering: tampering !== null,
    },
    opts.reward,
  );
  const agentOutput = [stripMarkers(execution.stdout.text, nonce), stripMarkers(execution.stderr.text, nonce)]
    .filter((s) => s.length > 0)
    .join("\n");
  // Markers are stripped from the stored stdout too: nothing written next to the run may teach a policy the format.
  writeFileSync(join(opts.outDir, "stdout.txt"), stripMarkers(execution.stdout.text, nonce));
  writeFileSync(join(opts.outDir, "grade.json"), `${JSON.stringify(grade, null, 2)}\n`);
  const record: RolloutRecord & { grade: GradeReport } = {
    v: ROLLOUT_RECORD_VERSION,
    execution: executionSummary(execution, execution.worker ?? opts.executor.name),
    grade,
    scores: opts.split ? scores : null,
    instrumentation: {
      instrumenter: opts.instrumenter?.name ?? null,
      sites,
      note: instrumentNote,
      credited: markers.reached.map((h) => ({ milestone: h.milestone, kind: h.kind, line: h.line })),
      rejected: markers.rejected,
      replayed: markers.replayed,
      tampering: tampering?.reasons ?? null,
    },
    reward,
    feedback: {
      output: agentOutput,
      failureKind: reward.failureKind,
      milestones: reward.milestonesReached.length,
      validationMetric: reward.validationMetric,
      validSubmission: reward.validSubmission,
      summary: execution.summary,
    },
  };
  writeFileSync(join(opts.outDir, "reward.json"), `${JSON.stringify({ ...reward, instrumentation: record.instrumentation }, null, 2)}\n`);
  writeFileSync(join(opts.outDir, "record.json"), `${JSON.stringify(record, null, 2)}\n`);
  return { record, execution };
}

/** The execution as the record keeps it: everything but the output streams. */
export function executionSummary(e: ExecResult, worker: string | null): ExecutionSummary {
  return {
    exitCode: e.exitCode,
    signal: e.signal,
    timedOut: e.timedOut,
    killed: e.killed,
    wallSec: e.wallSec,
    cpuSec: e.cpuSec,
    peakMemoryMb: e.peakMemoryMb,
    summary: e.summary,
    notes: e.notes ?? [],
    stdoutBytes: e.stdout.totalBytes,
    stderrBytes: e.stderr.totalBytes,
    worker,
  };
}

/** The report (on the report split when there is one) and the scores of each part, graded within bounds. */
async function gradeOn(
  spec: TaskSpec,
  paths: TaskPaths,
  submissionPath: string,
  split: SplitConfig | null,
  bounds: Partial<GradeBounds> | undefined,
): Promise<{ grade: GradeReport; scores: SplitScores }> {
  if (!split) {
    const grade = await gradeBounded(spec, paths, submissionPath, bounds);
    return { grade, scores: { reward: null, report: null, all: grade.score } };
  }
  return gradeBoundedSplit(spec, paths, submissionPath, { reportFraction: split.reportFraction, salt: split.salt }, bounds);
}
