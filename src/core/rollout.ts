/**
 * The rollout record: what one program produced, from execution to reward, in one shape. `runRollout` writes it,
 * the run store keeps and parses it, and the loop, summary, reports, evaluation, baselines, the queue and the
 * dashboard read it unchanged. Every field is plain data, so the record survives JSON and crosses processes.
 */
import { z } from "zod";
import { GradeReport } from "./grade.js";

/** Scratch: solve the task; improve: improve an earlier solution given its execution output. */
export const PROMPT_KINDS = ["scratch", "improve"] as const;
export const PromptKind = z.enum(PROMPT_KINDS);
export type PromptKind = z.infer<typeof PromptKind>;

/** Milestones a program can reach, in the order a typical solution reaches them. */
export const MILESTONES = [
  "imports",
  "data_loaded",
  "features_built",
  "model_defined",
  "model_trained",
  "predictions_made",
  "submission_written",
  "validation_metric",
] as const;
export const Milestone = z.enum(MILESTONES);
export type Milestone = z.infer<typeof Milestone>;

/**
 * How a program ended, most fundamental first (src/reward/compute.ts decides): the one vocabulary of failures.
 * Policies with a coarser feedback vocabulary map from it (src/policy/feedback.ts).
 */
export const FAILURE_KINDS = ["none", "syntax", "runtime_error", "timeout", "killed", "no_submission", "invalid_submission"] as const;
export const FailureKind = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKind>;

/**
 * One sampled action. `payload` is whatever the trainer needs later (token ids, behaviour logprobs); it is stored
 * verbatim so a resumed run can still train on rollouts sampled before a crash.
 */
export const SampledAction = z.object({
  code: z.string(),
  policyVersion: z.number().int().nonnegative(),
  payload: z.unknown(),
});
export type SampledAction = z.infer<typeof SampledAction>;

/** How the execution went, without its output streams (those are files beside the store). */
export const ExecutionSummary = z.object({
  exitCode: z.number().int().nullable(),
  /** Signal name when the program died of a signal (e.g. SIGKILL). */
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  /** Why the executor killed the program (timeout, memory, output, aborted), if it did. */
  killed: z.string().nullable(),
  /** Δt: wall-clock seconds from start to exit. */
  wallSec: z.number().nonnegative(),
  cpuSec: z.number().nullable(),
  peakMemoryMb: z.number().nullable(),
  /** One line for humans: "exited 0 in 3.2 s", "killed at the 10 s deadline", ... */
  summary: z.string(),
  notes: z.array(z.string()).default([]),
  stdoutBytes: z.number().int().nonnegative().default(0),
  stderrBytes: z.number().int().nonnegative().default(0),
  /** Which executor ran it (a queue worker's name, or the local executor's). */
  worker: z.string().nullable().default(null),
});
export type ExecutionSummary = z.infer<typeof ExecutionSummary>;

/** One genuine marker the program's output carried. */
export const MilestoneHit = z.object({
  milestone: Milestone,
  /** The marker kind (e.g. `metric_printed` for the validation_metric milestone). */
  kind: z.string(),
  /** 1-based line of stdout the marker starts on (0 when not recorded). */
  line: z.number().int().nonnegative(),
});
export type MilestoneHit = z.infer<typeof MilestoneHit>;

/** What the instrumenter did and what its markers proved. */
export const InstrumentationSummary = z.object({
  /** Instrumenter name, or null when instrumentation was off. */
  instrumenter: z.string().nullable(),
  /** Sites placed in the program. */
  sites: z.number().int().nonnegative(),
  /** Why something was left out or fell back (e.g. "SyntaxError at line 3: returned unchanged"). */
  note: z.string().nullable(),
  /** First genuine marker of each milestone, in the order reached. */
  credited: z.array(MilestoneHit),
  /** Marker-shaped lines with a wrong tag (forged, guessed or from another run). */
  rejected: z.number().int().nonnegative(),
  /** Genuine marker lines seen a second time: copies the program printed (the launcher writes each line once). */
  replayed: z.number().int().nonnegative().default(0),
  /**
   * Why the rollout earns no partial credit (null: not flagged): the plain-ML profile's reasons, then forged or
   * replayed markers (src/instrument/tampering.ts, docs/instrumentation.md).
   */
  tampering: z.array(z.string()).nullable().default(null),
});
export type InstrumentationSummary = z.infer<typeof InstrumentationSummary>;

/** The reward rule's verdict (src/reward/compute.ts) with what it was computed from. */
export const RewardBreakdown = z.object({
  reward: z.number(),
  /** The grader's score of a valid submission (as graded, before any sign flip), else null. */
  score: z.number().nullable(),
  validSubmission: z.boolean(),
  milestonesReached: z.array(Milestone),
  failureKind: FailureKind,
  validationMetric: z.number().nullable(),
  wallSec: z.number().nonnegative(),
});
export type RewardBreakdown = z.infer<typeof RewardBreakdown>;

/**
 * What the agent may know about its own rollout, for an improve prompt: never the hidden test score or the
 * reward of a valid submission (which is that score in disguise).
 */
export const AgentFeedback = z.object({
  /** stdout then stderr with every marker removed. */
  output: z.string(),
  failureKind: FailureKind,
  /** How many distinct milestones the program reached. */
  milestones: z.number().int().nonnegative(),
  /** The validation metric the program printed, or null. */
  validationMetric: z.number().nullable(),
  validSubmission: z.boolean(),
  /** One line on how the run ended. */
  summary: z.string(),
});
export type AgentFeedback = z.infer<typeof AgentFeedback>;

/** Where a baseline's rollout sits in its search (absent for training rollouts). */
export const SearchStep = z.object({
  seed: z.number().int(),
  step: z.enum(["draft", "debug", "improve", "random"]),
  node: z.number().int().nonnegative().nullable().default(null),
});
export type SearchStep = z.infer<typeof SearchStep>;

/**
 * A valid submission's scores on each part of its task's answers (src/grading/split.ts): the reward split (what the
 * training reward and score-driven choices may see), the report split (what reports show), and all answers
 * (MLE-bench's own score of the file). Null scores for an invalid submission.
 */
export const SplitScores = z.object({
  reward: z.number().nullable(),
  report: z.number().nullable(),
  all: z.number().nullable(),
});
export type SplitScores = z.infer<typeof SplitScores>;

export const ROLLOUT_RECORD_VERSION = 2;

/** What executing, grading and rewarding one action produced. */
export const RolloutRecord = z.object({
  v: z.literal(ROLLOUT_RECORD_VERSION),
  execution: ExecutionSummary,
  /**
   * The grader's report on submission.csv, judged on the report split (its score and medals are the report
   * split's); null where nothing was graded (simulated runs).
   */
  grade: GradeReport.nullable(),
  /** Scores per answers split; null for records without a split (mlerl 0.1 runs, simulations). */
  scores: SplitScores.nullable().default(null),
  instrumentation: InstrumentationSummary,
  reward: RewardBreakdown,
  feedback: AgentFeedback,
  search: SearchStep.optional(),
});
export type RolloutRecord = z.infer<typeof RolloutRecord>;

/**
 * The outcome JSON written before the record existed (mlerl 0.1): the reward breakdown's fields flattened, the
 * agent-visible output, and for baselines the seed and search step. Read so that old runs resume and report.
 */
const LegacyOutcome = z.object({
  reward: z.number(),
  wallSec: z.number(),
  validSubmission: z.boolean(),
  score: z.number().nullable(),
  validationMetric: z.number().nullable().default(null),
  failureKind: FailureKind.catch("runtime_error"),
  milestones: z.array(z.string()).default([]),
  output: z.string().default(""),
  seed: z.number().int().optional(),
  step: SearchStep.shape.step.optional(),
});

function fromLegacy(o: z.infer<typeof LegacyOutcome>): RolloutRecord {
  const milestones = o.milestones.filter((m): m is Milestone => (MILESTONES as readonly string[]).includes(m));
  return {
    v: ROLLOUT_RECORD_VERSION,
    execution: {
      exitCode: null,
      signal: null,
      timedOut: o.failureKind === "timeout",
      killed: null,
      wallSec: o.wallSec,
      cpuSec: null,
      peakMemoryMb: null,
      summary: "recorded by mlerl 0.1 (no execution details)",
      notes: [],
      stdoutBytes: 0,
      stderrBytes: 0,
      worker: null,
    },
    grade: null,
    // 0.1 scored every test answer; that is what its records hold.
    scores: { reward: null, report: null, all: o.validSubmission ? o.score : null },
    instrumentation: {
      instrumenter: null,
      sites: 0,
      note: null,
      credited: milestones.map((m) => ({ milestone: m, kind: m, line: 0 })),
      rejected: 0,
      replayed: 0,
      tampering: null,
    },
    reward: {
      reward: o.reward,
      score: o.score,
      validSubmission: o.validSubmission,
      milestonesReached: milestones,
      failureKind: o.failureKind,
      validationMetric: o.validationMetric,
      wallSec: o.wallSec,
    },
    feedback: {
      output: o.output,
      failureKind: o.failureKind,
      milestones: milestones.length,
      validationMetric: o.validationMetric,
      validSubmission: o.validSubmission,
      summary: o.failureKind === "none" ? "valid submission" : o.failureKind.replace(/_/g, " "),
    },
    ...(o.seed !== undefined && o.step !== undefined ? { search: { seed: o.seed, step: o.step, node: null } } : {}),
  };
}

/** A stored record: the current shape, or the 0.1 outcome migrated on read. */
export const StoredRolloutRecord = z.union([RolloutRecord, LegacyOutcome.transform(fromLegacy)]);

/**
 * The part of a record that overviews read for every rollout of a run (reports, the dashboard's curves and runs
 * list): the reward breakdown, the split scores, the search step, whether a submission file existed and which
 * executor ran it. A full record is one (the schema is a subset of RolloutRecord's), so readers take either; the
 * run store keeps this part beside each record, small enough to read for tens of thousands of rollouts at once.
 */
export const RolloutSummary = z.object({
  reward: RewardBreakdown,
  scores: SplitScores.nullable(),
  search: SearchStep.optional(),
  grade: z.object({ submission_exists: z.boolean() }).nullable(),
  execution: z.object({ worker: z.string().nullable() }),
});
export type RolloutSummary = z.infer<typeof RolloutSummary>;

/** A record's summary, with nothing else of the record in it. */
export function summaryOf(record: RolloutSummary): RolloutSummary {
  return {
    reward: { ...record.reward, milestonesReached: [...record.reward.milestonesReached] },
    scores: record.scores === null ? null : { reward: record.scores.reward, report: record.scores.report, all: record.scores.all },
    ...(record.search !== undefined ? { search: { seed: record.search.seed, step: record.search.step, node: record.search.node } } : {}),
    grade: record.grade === null ? null : { submission_exists: record.grade.submission_exists },
    execution: { worker: record.execution.worker },
  };
}

/** What an improve prompt is built from: an earlier solution of the same task, as the agent may see it. */
export interface ImproveParent {
  rolloutId: number;
  /** The parent's own sampled action (token-level policies continue from its tokens, not re-tokenised text). */
  action: SampledAction;
  /** The training reward, which orders the improve pool; never shown to the policy. */
  reward: number;
  feedback: AgentFeedback;
}

export interface RolloutRequest {
  taskId: string;
  action: SampledAction;
  signal: AbortSignal;
  /** Where the execution's files go (program, outputs, submission, grade, reward). */
  outDir: string;
}

/** Runs one action in an environment (the real sandbox + grader, or a simulation) and returns its record. */
export interface RolloutRunner {
  run(req: RolloutRequest): Promise<RolloutRecord>;
}

/**
 * The score a report may show for a rollout: the report split's. Records without a split (mlerl 0.1, trained on
 * every answer) show the score on all answers, and their reports say "trained with test feedback".
 */
export function reportScoreOf(record: Pick<RolloutSummary, "reward" | "scores">): number | null {
  if (!record.reward.validSubmission) return null;
  if (record.scores === null) return record.reward.score;
  return record.scores.report ?? (record.scores.reward === null ? record.scores.all : null);
}
