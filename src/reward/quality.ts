import type { TaskSpec } from "../core/task.js";
import type { RewardSettings } from "../core/config.js";
import type { RewardConfig, RewardConfigInput } from "./config.js";

/**
 * The quality scale of a task: its median threshold maps to 0 and its gold threshold to 1. Tasks whose scores
 * cluster tightly (an AUC of 0.84 vs 0.86) then reward a better model as clearly as tasks with wide score ranges,
 * and the valid bonus no longer drowns the difference. Null when the task has no usable thresholds.
 */
export function qualityScaleOf(spec: TaskSpec, weight: number, floor = -1): RewardConfig["quality"] {
  const t = spec.thresholds;
  if (!t || !Number.isFinite(t.median) || !Number.isFinite(t.gold) || t.median === t.gold) return null;
  return { low: t.median, high: t.gold, weight, clampLow: floor, clampHigh: 1.5 };
}

/**
 * The reward rule's constants for one task under a run's reward settings (src/core/config.ts); null settings give
 * the paper's rule. The quality scale is per task: it is built from each task's own median and gold thresholds.
 */
export function rewardConfigFor(spec: TaskSpec, settings: RewardSettings | null): RewardConfigInput {
  if (!settings) return {};
  const fixed = { validBonus: settings.validBonus, scoreFloor: settings.scoreFloor };
  const quality = settings.qualityWeight > 0 ? qualityScaleOf(spec, settings.qualityWeight, settings.qualityFloor) : null;
  return quality ? { ...fixed, quality } : fixed;
}
