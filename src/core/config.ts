import { z } from "zod";
import { SimulationModel } from "../rollout/simulated.js";

/** Everything a training run needs to start or resume; stored in the run so `--resume` needs nothing else. */
export const TrainConfig = z.object({
  tasks: z.array(z.string()).min(1),
  policy: z.enum(["fragment", "bandit", "openai"]),
  /** For `--policy openai`: the OpenAI-compatible sampling server, its model name, API and answer length. */
  baseUrl: z.string().optional(),
  model: z.string().optional(),
  api: z.enum(["chat", "completions"]).optional(),
  maxTokens: z.number().int().positive().optional(),
  /** Who trains: the in-process trainer (fragment LM) or a trainer server speaking the HTTP protocol. */
  trainer: z.enum(["inprocess", "http"]).default("inprocess"),
  trainerUrl: z.string().optional(),
  /** Who instruments: the AST instrumenter, or the frozen LM checked against it (falls back to AST). */
  instrumenter: z.enum(["ast", "lm"]).default("ast"),
  /** The frozen model's name for `instrumenter: "lm"` (default: "base" on the trainer's own server). */
  instrumentModel: z.string().optional(),
  executor: z.enum(["sandbox", "unsandboxed", "simulate"]),
  maxRollouts: z.number().int().positive().optional(),
  maxMinutes: z.number().positive().optional(),
  executors: z.number().int().positive(),
  /** Concurrent sample requests (default: 1 for the built-in policy, one per executor for a real LM). */
  samplers: z.number().int().positive().optional(),
  batchSize: z.number().int().positive(),
  maxStaleness: z.number().int().nonnegative(),
  improveProb: z.number().min(0).max(1),
  durationAware: z.boolean(),
  instrumentation: z.boolean(),
  normalizeAdvantages: z.boolean(),
  seed: z.number().int().nonnegative(),
  learningRate: z.number().positive(),
  loss: z.enum(["ppo", "importance_sampling"]),
  clip: z.number().positive(),
  /** Optimizer steps per batch (PPO epochs). */
  epochs: z.number().int().positive().default(1),
  /** Added to every valid submission's reward (see docs/reward.md: keeps valid work above partial credit). */
  validBonus: z.number().default(5),
  /** Lowest direction-corrected score a valid submission counts at; null for none. */
  scoreFloor: z.number().nullable().default(-1),
  /**
   * Weight of the per-task quality scale (src/reward/quality.ts): a valid submission earns validBonus + weight ×
   * its position between the task's median (0) and gold (1) thresholds. 0 scores the raw metric instead.
   */
  qualityWeight: z.number().nonnegative().default(4),
  /** Lowest point of the quality scale, in median-to-gold spans below the median. */
  qualityFloor: z.number().max(0).default(-1),
  /** β of the per-token exploration bonus (src/rl/exploration.ts); 0 turns it off. */
  explorationBonus: z.number().nonnegative().default(0.05),
  /** Per-program deadline in seconds. */
  timeoutSec: z.number().positive(),
  /** For `--executor simulate`: the actions' durations and rewards. */
  simModel: SimulationModel.optional(),
});
export type TrainConfig = z.infer<typeof TrainConfig>;

/**
 * How many programs are generated at once. The built-in policy samples in milliseconds, so one is enough and keeps
 * runs reproducible; a real LM takes seconds to minutes per program, so by default each executor gets a request.
 */
export function samplersOf(config: Pick<TrainConfig, "samplers" | "policy" | "executors">): number {
  return config.samplers ?? (config.policy === "openai" ? config.executors : 1);
}

/** Fast-but-worse, slow-but-better and failing actions: the situation duration weighting is for. */
export const DEFAULT_SIM_MODEL: SimulationModel = {
  failReward: -10,
  actions: {
    "fail-early": { medianSec: 0.5, sigma: 0.5, reward: -10, rewardStd: 0, failProb: 1 },
    "linear-fast": { medianSec: 1, sigma: 0.5, reward: 0.5, rewardStd: 0.05, failProb: 0.05 },
    "forest-medium": { medianSec: 5, sigma: 0.7, reward: 0.7, rewardStd: 0.05, failProb: 0.05 },
    "boosting-slow": { medianSec: 20, sigma: 1.0, reward: 0.9, rewardStd: 0.05, failProb: 0.05 },
  },
};
