import { z } from "zod";

/** MLE-bench's grading report (same field names and meaning) plus `error`: why an invalid submission is invalid. */
export const GradeReport = z.object({
  competition_id: z.string(),
  /** Rounded to 5 decimals; null when there is no valid submission. */
  score: z.number().nullable(),
  gold_threshold: z.number().nullable(),
  silver_threshold: z.number().nullable(),
  bronze_threshold: z.number().nullable(),
  median_threshold: z.number().nullable(),
  any_medal: z.boolean(),
  gold_medal: z.boolean(),
  silver_medal: z.boolean(),
  bronze_medal: z.boolean(),
  above_median: z.boolean(),
  submission_exists: z.boolean(),
  valid_submission: z.boolean(),
  is_lower_better: z.boolean(),
  /** ISO 8601 time the report was made. */
  created_at: z.string(),
  submission_path: z.string(),
  error: z.string().nullable(),
});
export type GradeReport = z.infer<typeof GradeReport>;
