import type { PromptKind } from "../rl/types.js";

/** What an improve prompt is built from: an earlier valid solution of the same task and how it ran. */
export interface ImproveParent {
  rolloutId: number;
  /** The parent's own sampled action (token-level policies continue from its tokens, not re-tokenised text). */
  action: SampledAction;
  code: string;
  /** Execution output the agent may see (instrumentation markers removed). */
  output: string;
  validationMetric: number | null;
  reward: number;
  /** Free-form feedback the policy can condition on (stage reached, failure kind, score bucket, ...). */
  feedback: Record<string, string | number | null>;
}

export interface PromptContext {
  taskId: string;
  kind: PromptKind;
  parent?: ImproveParent;
}

/**
 * One sampled action. `payload` is whatever the trainer needs later (token ids, behaviour logprobs); the loop
 * stores it verbatim so a resumed run can still train on rollouts sampled before the crash.
 */
export interface SampledAction {
  code: string;
  policyVersion: number;
  payload: unknown;
}

export interface TrainItem {
  action: SampledAction;
  /** Final per-sequence advantage: (reward − baseline) [/ std] × duration weight. */
  advantage: number;
  /** The duration weight already folded into `advantage` (1 when absent); other per-rollout terms use it too. */
  weight?: number;
}

export interface UpdateResult {
  version: number;
  loss: number;
  /** Mean KL(behaviour ‖ learner) over the batch's tokens, before the step. */
  kl: number;
  extra?: Record<string, number>;
}

/** The loop's view of a policy: sample, learn from advantages, checkpoint. Samplers + trainers plug in behind it. */
export interface PolicyPort {
  version(): number;
  sample(ctx: PromptContext): Promise<SampledAction>;
  update(batch: readonly TrainItem[]): Promise<UpdateResult>;
  /** Writes a checkpoint of the current version into dir (created by the caller). */
  save(dir: string): Promise<void>;
}

/** What executing, grading and rewarding one action produced. */
export interface RolloutOutcome {
  reward: number;
  /** Δt: execution wall time in seconds. */
  wallSec: number;
  validSubmission: boolean;
  /** Hidden test score (never shown to the policy). */
  score: number | null;
  validationMetric: number | null;
  failureKind: string;
  milestones: string[];
  /** Output the agent may see in an improve prompt. */
  output: string;
}

export interface RolloutRequest {
  taskId: string;
  action: SampledAction;
  signal: AbortSignal;
  /** Where the execution's files go (program, outputs, submission, grade, reward). */
  outDir: string;
}

export interface RolloutRunner {
  run(req: RolloutRequest): Promise<RolloutOutcome>;
}
