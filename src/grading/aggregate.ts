import { z } from "zod";
import type { GradeReport } from "./report.js";

/**
 * MLE-bench's summary of a set of grading reports (its grade.py aggregate_reports: the same field names and
 * counts), plus the same counts as percentages of all runs, as MLE-bench's leaderboard reports them ("Any
 * Medal (%)"). A run is one report: one competition graded once; its medal counts are exclusive (a gold is
 * not also a silver), so total_medals = gold + silver + bronze.
 */
export const GradingSummary = z.object({
  total_runs: z.number().int(),
  total_runs_with_submissions: z.number().int(),
  total_valid_submissions: z.number().int(),
  total_medals: z.number().int(),
  total_gold_medals: z.number().int(),
  total_silver_medals: z.number().int(),
  total_bronze_medals: z.number().int(),
  total_above_median: z.number().int(),
  /** Each count as a percentage of total_runs; null when there are no runs. */
  percent_of_runs: z.object({
    runs_with_submissions: z.number().nullable(),
    valid_submissions: z.number().nullable(),
    any_medal: z.number().nullable(),
    gold_medal: z.number().nullable(),
    silver_medal: z.number().nullable(),
    bronze_medal: z.number().nullable(),
    above_median: z.number().nullable(),
  }),
});
export type GradingSummary = z.infer<typeof GradingSummary>;

/** The fields of a report the summary counts (a split grade report has them too). */
export type CountedReport = Pick<
  GradeReport,
  "submission_exists" | "valid_submission" | "gold_medal" | "silver_medal" | "bronze_medal" | "above_median"
>;

export function aggregateReports(reports: readonly CountedReport[]): GradingSummary {
  const count = (f: (r: CountedReport) => boolean) => reports.filter(f).length;
  const gold = count((r) => r.gold_medal);
  const silver = count((r) => r.silver_medal);
  const bronze = count((r) => r.bronze_medal);
  const totals = {
    total_runs: reports.length,
    total_runs_with_submissions: count((r) => r.submission_exists),
    total_valid_submissions: count((r) => r.valid_submission),
    total_medals: gold + silver + bronze,
    total_gold_medals: gold,
    total_silver_medals: silver,
    total_bronze_medals: bronze,
    total_above_median: count((r) => r.above_median),
  };
  const pct = (n: number) => (reports.length === 0 ? null : (100 * n) / reports.length);
  return {
    ...totals,
    percent_of_runs: {
      runs_with_submissions: pct(totals.total_runs_with_submissions),
      valid_submissions: pct(totals.total_valid_submissions),
      any_medal: pct(totals.total_medals),
      gold_medal: pct(gold),
      silver_medal: pct(silver),
      bronze_medal: pct(bronze),
      above_median: pct(totals.total_above_median),
    },
  };
}
