import { BUILTIN_TASK_IDS } from "../tasks/registry.js";
import { TrainConfig } from "../core/config.js";
import { availableParallelism } from "node:os";

/**
 * The defaults of a bare `mlerl train` on the real environment, as a library value: experiments built on top of
 * training (ablations, the main job) start from the same settings a user gets from the command line.
 */
export function defaultTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return TrainConfig.parse({
    tasks: [...BUILTIN_TASK_IDS],
    policy: "fragment",
    executor: "sandbox",
    maxMinutes: 10,
    executors: availableParallelism(),
    batchSize: 8,
    maxStaleness: 1,
    improveProb: 0.5,
    durationAware: true,
    instrumentation: true,
    normalizeAdvantages: true,
    seed: 0,
    learningRate: 0.01,
    loss: "ppo",
    clip: 0.2,
    epochs: 4,
    timeoutSec: 45,
    ...overrides,
  });
}
