import type { AgentFeedback, FailureKind } from "../core/rollout.js";
import type { FeedbackFailure, FeedbackStage } from "./types.js";

const STAGE_OF_MILESTONES: readonly FeedbackStage[] = ["none", "imports", "load", "features", "model", "train", "predict", "submission"];

const FAILURE_TOKEN: Record<FailureKind, FeedbackFailure> = {
  none: "none",
  syntax: "error",
  runtime_error: "error",
  timeout: "timeout",
  killed: "memory",
  no_submission: "no_submission",
  invalid_submission: "invalid_submission",
};

/** The environment's feedback on an earlier attempt, in the policy's feedback vocabulary. */
export function previousAttemptOf(feedback: Pick<AgentFeedback, "failureKind" | "milestones">): {
  stage: FeedbackStage;
  failure: FeedbackFailure;
} {
  const failure = FAILURE_TOKEN[feedback.failureKind];
  const stage: FeedbackStage =
    failure === "none" ? "valid" : STAGE_OF_MILESTONES[Math.min(feedback.milestones, STAGE_OF_MILESTONES.length - 1)]!;
  return { stage, failure };
}
