export { computeReward, failureKindOf, FAILURE_KINDS, RewardInput, type FailureKind, type RewardBreakdown } from "./compute.js";
export { RewardConfig, DEFAULT_REWARD_CONFIG } from "./config.js";
export { qualityScaleOf, rewardConfigFor } from "./quality.js";
