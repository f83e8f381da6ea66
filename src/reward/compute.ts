/**
 * The reward of one rollout, with a breakdown for reports. See docs/reward.md for the reasoning.
 *
 * | outcome                                                   | failureKind        | reward                     |
 * |-----------------------------------------------------------|--------------------|----------------------------|
 * | valid submission, clean exit                              | none               | score (−score if lower is better) + validBonus |
 * | valid submission, then crash / timeout / kill             | runtime_error, ... | same score (scoreDespiteFailure) |
 * | program does not parse                                    | syntax             | failurePenalty (−10)       |
 * | crash, timeout or kill with k ≥ 1 milestones              | runtime_error, timeout, killed | 0.1 × k          |
 * | crash, timeout or kill with no milestone                  | same               | −10                        |
 * | exits 0, no submission.csv                                | no_submission      | 0.1 × k, or −10 if k = 0   |
 * | exits 0, submission.csv invalid                           | invalid_submission | 0.1 × k, or −10 if k = 0   |
 *
 * k counts the distinct credited milestones whose genuine markers appeared, whatever happened afterwards:
 * the credit is for progress made, and a timeout or crash after training still reached training.
 * A rollout flagged as tampering (outside the plain-ML profile, or forged markers on stdout; see
 * docs/instrumentation.md) gets no partial credit: k counts as 0. Its valid submission still scores, because the
 * grader works outside the sandbox on the file alone. (The record keeps the reasons, in
 * `instrumentation.tampering`.)
 */
import { z } from "zod";
import { FAILURE_KINDS, MILESTONES, type FailureKind, type RewardBreakdown } from "../core/rollout.js";
import { DEFAULT_REWARD_CONFIG, RewardConfig, type RewardConfigInput } from "./config.js";

export { FAILURE_KINDS, type FailureKind, type RewardBreakdown };

/** Plain data about one execution and its grade, so the rule depends on no other module's internals. */
export const RewardInput = z.object({
  exitCode: z.number().int().nullable(),
  /** Signal the program died of, if any. */
  signal: z.string().nullable().default(null),
  timedOut: z.boolean(),
  /** Why the executor killed the program (memory, output, aborted, ...); a timeout sets timedOut too. */
  killed: z.string().nullable().default(null),
  /** The program did not parse (the instrumenter said so, or Python exited with a SyntaxError). */
  syntaxError: z.boolean().default(false),
  /** The grader's verdict on submission.csv, or null when no submission was written. */
  grade: z
    .object({
      valid_submission: z.boolean(),
      /** NaN or null when the grader could not score it. */
      score: z.union([z.number(), z.nan()]).nullable(),
      is_lower_better: z.boolean(),
    })
    .nullable(),
  milestones: z.array(z.enum(MILESTONES)),
  validationMetric: z.number().nullable().default(null),
  wallSec: z.number().nonnegative(),
  /** The rollout was flagged as tampering (src/instrument/tampering.ts): no partial credit. */
  tampering: z.boolean().default(false),
});
export type RewardInput = z.input<typeof RewardInput>;

/** What went wrong, most fundamental first: a program that never parsed did not "time out". */
export function failureKindOf(input: z.output<typeof RewardInput>): FailureKind {
  if (input.syntaxError) return "syntax";
  if (input.timedOut) return "timeout";
  if (input.killed !== null) return "killed";
  if (input.exitCode !== 0 || input.signal !== null) return "runtime_error";
  if (input.grade === null) return "no_submission";
  if (!input.grade.valid_submission || input.grade.score === null || !Number.isFinite(input.grade.score)) return "invalid_submission";
  return "none";
}

export function computeReward(raw: RewardInput, configIn: RewardConfigInput = {}): RewardBreakdown {
  const input = RewardInput.parse(raw);
  const config = RewardConfig.parse({ ...DEFAULT_REWARD_CONFIG, ...configIn });
  const failureKind = failureKindOf(input);
  const milestonesReached = MILESTONES.filter((m) => input.milestones.includes(m));
  const g = input.grade;
  const validSubmission = g !== null && g.valid_submission && g.score !== null && Number.isFinite(g.score);
  const base = {
    score: validSubmission ? g!.score : null,
    validSubmission,
    milestonesReached,
    failureKind,
    validationMetric: input.validationMetric,
    wallSec: input.wallSec,
  };
  const scored = validSubmission && (failureKind === "none" || config.scoreDespiteFailure);
  if (scored) {
    const s = g!.score!;
    if (config.quality !== null) {
      const q = config.quality;
      return {
        ...base,
        reward: round(config.validBonus + q.weight * qualityPosition((s - q.low) / (q.high - q.low), q.clampLow, q.clampHigh)),
      };
    }
    const corrected = config.flipLowerIsBetter && g!.is_lower_better ? -s : s;
    const floored = config.scoreFloor === null ? corrected : Math.max(corrected, config.scoreFloor);
    return { ...base, reward: floored + config.validBonus };
  }
  const credited = input.tampering ? 0 : milestonesReached.filter((m) => config.creditedMilestones.includes(m)).length;
  if (failureKind === "syntax" || credited === 0) return { ...base, reward: config.failurePenalty };
  return { ...base, reward: round(credited * config.milestoneCredit) };
}

/**
 * Where a score sits on its task's quality scale, given its linear position p (0 at the median, 1 at gold).
 * Above the median: p, capped at `high`. Below it the scale bends toward `floor` without reaching it,
 * floor · p / (p + floor): slope 1 at the median, half the floor one floor-span down, the floor only at −∞. A hard
 * clamp there gave every valid submission past the floor the same reward, and on tasks where most early programs
 * are far below the median (leaf: log losses of 2 and of 20) the policy could not tell a poor model from a useless
 * one.
 */
export function qualityPosition(p: number, floor: number, high: number): number {
  if (p >= 0) return Math.min(high, p);
  if (floor >= 0) return 0;
  return (floor * p) / (p + floor);
}

/** 0.1 × 3 is 0.30000000000000004 in floating point; rewards are reported, so keep them tidy. */
function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}
