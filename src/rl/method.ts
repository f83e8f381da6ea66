import type { TrainConfig } from "../core/config.js";

/** The ablation variants of the method (paper §4): the full method and one idea switched off at a time. */
export const METHOD_VARIANTS = {
  rl: {},
  "rl-no-duration": { durationAware: false },
  "rl-no-instrumentation": { instrumentation: false },
  "rl-no-improve": { improveProb: 0 },
} as const satisfies Record<string, Partial<TrainConfig>>;
export type MethodVariant = keyof typeof METHOD_VARIANTS;

/**
 * The label a training run is reported under: "rl" for the full method, the ablation's name when exactly one of
 * the three ideas is off, and the ideas that are off joined by "+" otherwise.
 */
export function methodOf(config: Pick<TrainConfig, "durationAware" | "instrumentation" | "improveProb">): string {
  const off: string[] = [];
  if (!config.durationAware) off.push("duration");
  if (!config.instrumentation) off.push("instrumentation");
  if (config.improveProb === 0) off.push("improve");
  return off.length === 0 ? "rl" : `rl-no-${off.join("+")}`;
}
