import { z } from "zod";
import { MILESTONES } from "../core/rollout.js";

/**
 * The reward rule's constants. Defaults are the paper's: a valid submission earns its score, otherwise
 * +0.1 per milestone reached, and a failed program with no milestone earns −10.
 */
export const RewardConfig = z.object({
  /** Reward per milestone reached, when there is no valid submission. */
  milestoneCredit: z.number().default(0.1),
  /** Reward of a program with no valid submission and no milestone. */
  failurePenalty: z.number().default(-10),
  /** Added to the (direction-corrected) score of a valid submission. 0 in the paper. */
  validBonus: z.number().default(0),
  /**
   * Lowest direction-corrected score a valid submission is counted at (before the bonus). A log loss of 30 is a
   * valid but useless submission; without a floor its reward (−30) would fall far below a crash's (−10).
   * Default: no floor (the paper's rule).
   */
  scoreFloor: z.number().nullable().default(null),
  /**
   * Score a valid submission by where it falls between two reference scores of its task instead of by its raw
   * value: reward = validBonus + weight × qualityPosition((score − low) / (high − low), clampLow, clampHigh): linear
   * above low up to clampHigh, bending toward clampLow below it (src/reward/compute.ts). With low = the
   * median threshold and high = the gold one, a median solution earns the bonus and a gold one bonus + weight, on
   * every task and in either metric direction (high < low when lower is better). Null: the raw score (the paper).
   */
  quality: z
    .object({
      low: z.number(),
      high: z.number(),
      weight: z.number().positive(),
      clampLow: z.number(),
      clampHigh: z.number().default(1.5),
    })
    .refine((q) => q.high !== q.low, { message: "quality.high must differ from quality.low" })
    .nullable()
    .default(null),
  /** Flip the sign of lower-is-better scores so that higher reward is always better. */
  flipLowerIsBetter: z.boolean().default(true),
  /** Milestones that earn credit (default: all, including the validation metric). */
  creditedMilestones: z.array(z.enum(MILESTONES)).default([...MILESTONES]),
  /**
   * Whether a valid submission still earns its score when the program crashed or timed out after writing it.
   * Default true: MLE-bench grades whatever submission is there at the end, and the file is what counts.
   */
  scoreDespiteFailure: z.boolean().default(true),
});
export type RewardConfig = z.infer<typeof RewardConfig>;
/** What callers may pass: any subset, with the schema's defaults filling the rest. */
export type RewardConfigInput = Partial<z.input<typeof RewardConfig>>;

export const DEFAULT_REWARD_CONFIG: RewardConfig = RewardConfig.parse({});
