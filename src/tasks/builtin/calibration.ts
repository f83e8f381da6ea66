import { z } from "zod";
import calibrationJson from "./calibration.json" with { type: "json" };
import { Thresholds } from "../../core/task.js";

/**
 * Medal thresholds of the built-in tasks come from reference solutions that scripts/calibrate-thresholds.ts runs
 * in the sandbox and grades (results committed in calibration.json). The rule, applied per task:
 *   gold   = score of the strong solution (a tuned boosted / ensembled model),
 *   silver = halfway between strong and medium,
 *   bronze = score of the medium solution,
 *   median = score of the baseline solution (a simple linear / default model).
 * So a program medals only if it beats the medium reference, and "above median" means beating the baseline.
 */
export const CalibrationRun = z.object({
  solution: z.string(),
  score: z.number().nullable(),
  seconds: z.number(),
  /** The hold-out validation metric the program printed, when found. */
  validation: z.number().nullable().optional(),
});
export type CalibrationRun = z.infer<typeof CalibrationRun>;

export const TaskCalibration = z.object({
  version: z.number().int(),
  seed: z.number().int(),
  runs: z.array(CalibrationRun),
  thresholds: Thresholds,
});
export type TaskCalibration = z.infer<typeof TaskCalibration>;

export const CalibrationFile = z.object({
  rule: z.string(),
  calibratedAt: z.string(),
  executor: z.string(),
  tasks: z.record(z.string(), TaskCalibration),
});
export type CalibrationFile = z.infer<typeof CalibrationFile>;

export const THRESHOLD_RULE =
  "gold = strong; silver = (strong + medium) / 2; bronze = medium; median = baseline (scores of the reference solutions, rounded to 5 decimals)";

const r5 = (x: number) => Math.round(x * 1e5) / 1e5;

/** Apply the rule above to the scores of the three reference solutions. */
export function thresholdsFromReferences(scores: { baseline: number; medium: number; strong: number }): Thresholds {
  return {
    gold: r5(scores.strong),
    silver: r5((scores.strong + scores.medium) / 2),
    bronze: r5(scores.medium),
    median: r5(scores.baseline),
  };
}

let parsed: CalibrationFile | undefined;
export function loadCalibration(): CalibrationFile {
  parsed ??= CalibrationFile.parse(calibrationJson);
  return parsed;
}

/** The committed thresholds of a built-in task, or undefined before it was calibrated. */
export function calibratedThresholds(taskId: string): Thresholds | undefined {
  return loadCalibration().tasks[taskId]?.thresholds;
}
