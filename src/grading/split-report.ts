import { z } from "zod";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { medalsFor, roundScore } from "./medals.js";
import { GradeReport, gradeSubmission, readAnswers } from "./report.js";
import { scoreSplit } from "./split-score.js";
import { splitIds, type AnswersSplit, type SplitSettings } from "./split.js";
import { TableError, readTable } from "./table.js";

/**
 * MLE-bench's report of a submission judged on the report split: `score`, the medals and above_median are the
 * report split's (against the competition's thresholds), so a table built from these reports never shows a
 * number the training reward could have seen. The reward split's score and the whole file's ride along.
 */
export const SplitGradeReport = GradeReport.extend({
  /** The reward split's score, rounded to 5 decimals; null when the submission is invalid. */
  reward_score: z.number().nullable(),
  /** The score on every test row (MLE-bench's own score of the file), rounded; null when invalid. */
  all_rows_score: z.number().nullable(),
  split: z.object({
    salt: z.string(),
    report_fraction: z.number(),
    reward_rows: z.number().int(),
    report_rows: z.number().int(),
  }),
});
export type SplitGradeReport = z.infer<typeof SplitGradeReport>;

/** Read a prepared task's answers and split them. */
export function splitTask(spec: TaskSpec, paths: TaskPaths, opts: Partial<SplitSettings> = {}): AnswersSplit {
  return splitIds(spec, readAnswers(spec, paths), opts);
}

/**
 * Grade a submission file on a split: validated against every test id as MLE-bench validates it, then scored
 * on each part. An invalid file gets MLE-bench's invalid report (no score, no medal) with the reason.
 */
export function gradeSplit(spec: TaskSpec, paths: TaskPaths, submissionPath: string, split: AnswersSplit): SplitGradeReport {
  const whole = gradeSubmission(spec, paths, submissionPath);
  const splitInfo = {
    salt: split.settings.salt,
    report_fraction: split.settings.reportFraction,
    reward_rows: split.reward.length,
    report_rows: split.report.length,
  };
  if (!whole.valid_submission) return { ...whole, reward_score: null, all_rows_score: null, split: splitInfo };
  let scores: ReturnType<typeof scoreSplit>;
  try {
    scores = scoreSplit(spec, readTable(submissionPath, "the submission"), readAnswers(spec, paths), split);
  } catch (e) {
    // The file was read and graded a moment ago: only a change under our feet gets here.
    if (!(e instanceof TableError)) throw e;
    return { ...whole, score: null, valid_submission: false, error: e.message, reward_score: null, all_rows_score: null, split: splitInfo };
  }
  const round = (x: number | null) => (x === null ? null : roundScore(x));
  const score = round(scores.report.score);
  const medals = medalsFor(score, spec.thresholds, spec.lowerIsBetter);
  return {
    ...whole,
    score,
    any_medal: medals.any_medal,
    gold_medal: medals.gold_medal,
    silver_medal: medals.silver_medal,
    bronze_medal: medals.bronze_medal,
    above_median: medals.above_median,
    valid_submission: score !== null,
    error: scores.report.error,
    reward_score: round(scores.reward.score),
    all_rows_score: roundScore(scores.all),
    split: splitInfo,
  };
}
