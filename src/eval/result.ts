/**
 * The evaluation result written as eval.json by `mlerl eval` and by the baselines (one shape for every method,
 * so reports treat them alike), and the pure summary of a task's attempts.
 *
 * Aggregation rules (documented in docs/evaluation.md):
 * - mean/std: per seed, the mean test score of the selected solutions that have one (a valid submission);
 *   then mean and sample std (n − 1; 0 for one seed) over the seeds that have any. Invalid
 *   attempts count in validRate and medal rates (as no medal), not in the score mean.
 * - bestOfN: per seed, the attempt with the best agent-visible validation metric (valid submission and a finite
 *   metric; ties keep the earlier sample); its test score, then mean/std over seeds as above.
 * - medal rates: the share of all attempts whose selected solution earned that medal.
 */
import { z } from "zod";
import { pickSubmission } from "../core/select.js";
import { medalsFor } from "../grading/medals.js";

const Medal = z.enum(["gold", "silver", "bronze"]);
export type Medal = z.infer<typeof Medal>;

export const EvalThresholds = z.object({ gold: z.number(), silver: z.number(), bronze: z.number(), median: z.number() });
export type EvalThresholds = z.infer<typeof EvalThresholds>;

export const EvalAttempt = z.object({
  seed: z.number().int(),
  sample: z.number().int().nonnegative(),
  /** Which of the test-time procedure's two solutions was kept; null when nothing ran. */
  selected: z.enum(["scratch", "improve"]).nullable(),
  /** Hidden test score of the selected solution (reported, never used to select). */
  testScore: z.number().nullable(),
  /** The validation metric the selected program printed. */
  validationMetric: z.number().nullable(),
  valid: z.boolean(),
  medal: Medal.nullable(),
  /** Execution seconds spent on this attempt (both solutions of the test-time procedure). */
  wallSec: z.number().nonnegative(),
});
export type EvalAttempt = z.infer<typeof EvalAttempt>;

const MeanStd = z.object({ mean: z.number().nullable(), std: z.number().nullable() });

export const EvalTaskResult = z.object({
  taskId: z.string(),
  metric: z.string(),
  lowerIsBetter: z.boolean(),
  /** Null only for a task without medal thresholds (then every medal is null). */
  thresholds: EvalThresholds.nullable(),
  attempts: z.array(EvalAttempt),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  validRate: z.number().min(0).max(1),
  medalRates: z.object({ gold: z.number(), silver: z.number(), bronze: z.number(), any: z.number() }),
  bestOfN: MeanStd,
});
export type EvalTaskResult = z.infer<typeof EvalTaskResult>;

export const EvalResult = z.object({
  kind: z.literal("eval"),
  method: z.string(),
  source: z.object({ runDir: z.string().nullable(), checkpoint: z.string().nullable() }),
  samples: z.number().int().positive(),
  seeds: z.array(z.number().int()),
  createdAt: z.string(),
  tasks: z.array(EvalTaskResult),
});
export type EvalResult = z.infer<typeof EvalResult>;

/** The medal a test score earns (MLE-bench's inclusive thresholds, exclusive medals), or null. */
export function medalOf(score: number | null, thresholds: EvalThresholds | null, lowerIsBetter: boolean): Medal | null {
  if (thresholds === null) return null;
  const m = medalsFor(score, thresholds, lowerIsBetter);
  return m.gold_medal ? "gold" : m.silver_medal ? "silver" : m.bronze_medal ? "bronze" : null;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value); nulls for no values. */
export function meanStd(values: readonly number[]): { mean: number | null; std: number | null } {
  if (values.length === 0) return { mean: null, std: null };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return { mean, std: 0 };
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (values.length - 1)) };
}

/** The attempt a searcher would pick by the one submission rule (src/core/select.ts), samples in order. */
export function bestByValidation(attempts: readonly EvalAttempt[], lowerIsBetter: boolean): EvalAttempt | null {
  const ordered = [...attempts].sort((x, y) => x.sample - y.sample);
  return pickSubmission(
    ordered.map((a) => ({ ...a, validSubmission: a.valid })),
    lowerIsBetter,
  );
}

export interface TaskSummary {
  mean: number | null;
  std: number | null;
  validRate: number;
  medalRates: { gold: number; silver: number; bronze: number; any: number };
  bestOfN: { mean: number | null; std: number | null };
}

/** Summarise one task's attempts (see the aggregation rules at the top of this file). Pure. */
export function summarizeAttempts(attempts: readonly EvalAttempt[], lowerIsBetter: boolean): TaskSummary {
  const seeds = [...new Set(attempts.map((a) => a.seed))].sort((a, b) => a - b);
  const perSeedMeans: number[] = [];
  const perSeedBest: number[] = [];
  for (const seed of seeds) {
    const mine = attempts.filter((a) => a.seed === seed);
    const scores = mine.filter((a) => a.valid && a.testScore !== null && Number.isFinite(a.testScore)).map((a) => a.testScore as number);
    const m = meanStd(scores).mean;
    if (m !== null) perSeedMeans.push(m);
    const best = bestByValidation(mine, lowerIsBetter);
    if (best && best.testScore !== null && Number.isFinite(best.testScore)) perSeedBest.push(best.testScore);
  }
  const n = attempts.length;
  const share = (pred: (a: EvalAttempt) => boolean) => (n === 0 ? 0 : attempts.filter(pred).length / n);
  const { mean, std } = meanStd(perSeedMeans);
  return {
    mean,
    std,
    validRate: share((a) => a.valid),
    medalRates: {
      gold: share((a) => a.medal === "gold"),
      silver: share((a) => a.medal === "silver"),
      bronze: share((a) => a.medal === "bronze"),
      any: share((a) => a.medal !== null),
    },
    bestOfN: meanStd(perSeedBest),
  };
}

/** Build a task's entry from its attempts (summary fields computed, never supplied by the caller). */
export function taskResult(
  task: { taskId: string; metric: string; lowerIsBetter: boolean; thresholds: EvalThresholds | null },
  attempts: readonly EvalAttempt[],
): EvalTaskResult {
  const ordered = [...attempts].sort((a, b) => a.seed - b.seed || a.sample - b.sample);
  return { ...task, attempts: ordered, ...summarizeAttempts(ordered, task.lowerIsBetter) };
}
