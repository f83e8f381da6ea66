/**
 * The loop's view of a policy: sample an action for a prompt, learn from per-rollout advantages, checkpoint.
 * The built-in fragment LM, a real LM behind HTTP and the simulation's bandit all plug in behind it.
 */
import type { ImproveParent, PromptKind, SampledAction } from "./rollout.js";

export interface PromptContext {
  taskId: string;
  kind: PromptKind;
  parent?: ImproveParent;
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

export interface PolicyPort {
  version(): number;
  sample(ctx: PromptContext): Promise<SampledAction>;
  update(batch: readonly TrainItem[]): Promise<UpdateResult>;
  /** Writes a checkpoint of the current version into dir (created by the caller). */
  save(dir: string): Promise<void>;
}
