import { z } from "zod";

/** What one learner update did, as the run store keeps it (one row per policy version). */
export const UpdateStats = z.object({
  version: z.number().int(),
  n: z.number().int(),
  meanReward: z.number(),
  meanDt: z.number(),
  /** Duration weights applied, in batch order (mean 1 when duration-aware). */
  weights: z.array(z.number()).default([]),
  advantages: z.array(z.number()).default([]),
  rolloutIds: z.array(z.number().int()).default([]),
  loss: z.number(),
  kl: z.number(),
  stalenessMean: z.number().default(0),
  stalenessMax: z.number().default(0),
  /** Running reward baselines per (task, prompt kind) after the update, so a resumed run continues them. */
  baselines: z.record(z.string(), z.number()).default({}),
  /** Trainer diagnostics (clip fraction, mean ratio, gradient norm, ...). */
  extra: z.record(z.string(), z.number()).default({}),
});
export type UpdateStats = z.infer<typeof UpdateStats>;
