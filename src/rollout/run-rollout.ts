import { rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { answersPath, buildReport, gradeBounded, maxSubmissionBytes, type GradeBounds, type GradeReport } from "../grading/index.js";
import {
  launchArgs,
  launchStdin,
  MarkerScanner,
  newNonce,
  stripMarkers,
  type Instrumenter,
  type MarkerReport,
} from "../instrument/index.js";
import { computeReward, type RewardBreakdown } from "../reward/index.js";
import type { RewardConfig } from "../reward/config.js";
import type { ExecLimits, ExecResult, Executor } from "../sandbox/executor.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";

export interface RolloutRun {
  execution: ExecResult;
  grade: GradeReport;
  /** Genuine markers of this execution (empty when instrumentation is off). */
  markers: MarkerReport;
  reward: RewardBreakdown;
  /** Instrumenter notes (e.g. "SyntaxError at line 3: returned unchanged"). */
  instrumentNote: string | null;
  /** stdout + stderr as the agent may see them: markers removed. */
  agentOutput: string;
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
  reward?: Partial<RewardConfig>;
  signal?: AbortSignal;
  /** Time and memory of the grading thread (default DEFAULT_GRADE_BOUNDS). */
  gradeBounds?: Partial<GradeBounds>;
}): Promise<RolloutRun> {
  const nonce = newNonce();
  let instrumentNote: string | null = null;
  let syntaxError = false;
  let launch: { args: (p: string) => string[]; stdin: string } | undefined;
  if (opts.instrumenter) {
    const inst = await opts.instrumenter.instrument(opts.code, nonce);
    instrumentNote = inst.note ?? null;
    syntaxError = !inst.parsed;
    // The file the program can read stays the original; the sites travel on stdin to the launcher.
    if (inst.parsed && inst.sites.length > 0) launch = { args: launchArgs, stdin: launchStdin(inst.sites, nonce) };
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
    maxSubmissionBytes: maxSubmissionBytes(answersBytes),
  });
  const markers = scanner.finish();
  // Only the file this execution copied out is graded; without one there is no submission.
  const missingPath = join(opts.outDir, "submission.csv");
  const refused = (execution.notes ?? []).find((n) => n.startsWith("submission.csv refused: "));
  const grade = execution.submissionPath
    ? await gradeBounded(opts.spec, opts.paths, execution.submissionPath, opts.gradeBounds)
    : buildReport(opts.spec, missingPath, {
        // A refused file (a symlink, over the size bound ...) was a submission, and an invalid one.
        exists: refused !== undefined,
        rawScore: null,
        error: refused ?? `no submission file at ${missingPath}`,
      });
  const pythonSyntaxError = execution.exitCode === 1 && /^(SyntaxError|IndentationError|TabError)\b/m.test(execution.stderr.text);
  const reward = computeReward(
    {
      exitCode: execution.exitCode,
      signal: execution.signal,
      timedOut: execution.timedOut,
      killed: execution.killed,
      syntaxError: syntaxError || pythonSyntaxError,
      grade: grade.submission_exists
        ? { valid_submission: grade.valid_submission, score: grade.score, is_lower_better: grade.is_lower_better }
        : null,
      milestones: markers.milestones,
      validationMetric: markers.validationMetric,
      wallSec: execution.wallSec,
    },
    opts.reward,
  );
  const agentOutput = [stripMarkers(execution.stdout.text, nonce), stripMarkers(execution.stderr.text, nonce)]
    .filter((s) => s.length > 0)
    .join("\n");
  // Markers are stripped from the stored stdout too: nothing written next to the run may teach a policy the format.
  writeFileSync(join(opts.outDir, "stdout.txt"), stripMarkers(execution.stdout.text, nonce));
  writeFileSync(join(opts.outDir, "grade.json"), `${JSON.stringify(grade, null, 2)}\n`);
  writeFileSync(
    join(opts.outDir, "reward.json"),
    `${JSON.stringify({ ...reward, milestonesHit: markers.reached, forgedMarkers: markers.rejected, instrumentNote }, null, 2)}\n`,
  );
  return { execution, grade, markers, reward, instrumentNote, agentOutput };
}
