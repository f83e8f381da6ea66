import type { TaskSpec } from "../core/task.js";

/** How far a previous program got, as the environment's milestones saw it (for improve prompts). */
export const FEEDBACK_STAGES = ["none", "imports", "load", "features", "model", "train", "predict", "submission", "valid"] as const;
export type FeedbackStage = (typeof FEEDBACK_STAGES)[number];

/**
 * The feedback tokens a policy sees for why a previous program did not give a valid submission ("none" when it
 * did): a coarser view of the environment's FailureKind (src/core/rollout.ts), mapped in src/policy/feedback.ts.
 * They are tokens of the built-in policy's vocabulary, so they stay as they are for its checkpoints.
 */
export const FEEDBACK_FAILURES = ["none", "error", "timeout", "memory", "no_submission", "invalid_submission"] as const;
export type FeedbackFailure = (typeof FEEDBACK_FAILURES)[number];

/** An earlier attempt the policy is asked to improve. */
export interface PreviousAttempt {
  /** The earlier completion's token ids (token-in across turns: never re-tokenised from text). */
  tokens: number[];
  /** The earlier program's text, for samplers that work on text. */
  text: string;
  stageReached: FeedbackStage;
  failure: FeedbackFailure;
  /** The validation metric the program printed, if any (the task's own metric and direction). */
  validationScore?: number | null;
  /** The program's (possibly truncated) output, for samplers that show it. */
  output?: string;
}

/** One prompt: solve the task from scratch, or improve a previous attempt. */
export type SampleRequest = { task: TaskSpec; kind: "scratch" } | { task: TaskSpec; kind: "improve"; previous: PreviousAttempt };

/** One sampled program. */
export interface Completion {
  /** The prompt as the policy saw it (token ids), so the trainer can rebuild the full sequence. */
  promptTokens: number[];
  /** Sampled token ids, in order (including the end token when one was sampled). */
  tokens: number[];
  /** Behaviour log-probabilities: log μ(token_i | prefix) under the weights that sampled it, one per token. */
  logprobs: number[];
  /** The rendered program (one Python file). */
  text: string;
  /** Policy version (trainer optimizer steps) of the weights that sampled it. */
  version: number;
  /** True when the policy ended the program itself rather than hitting the length limit. */
  finished: boolean;
}

export interface SampleOptions {
  /** Seed of the sampling random stream; the same seed, weights and prompts give the same completions. */
  seed: number;
}

/** Anything that turns prompts into programs with token-level behaviour log-probabilities. */
export interface Sampler {
  readonly name: string;
  /** The policy version the next call will sample with. */
  version(): number;
  sample(requests: SampleRequest[], options: SampleOptions): Promise<Completion[]>;
}
