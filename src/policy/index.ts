export type { Sampler, SampleRequest, SampleOptions, Completion, PreviousAttempt, FeedbackStage, FailureKind } from "./types.js";
export { FEEDBACK_STAGES, FAILURE_KINDS } from "./types.js";
export { FragmentPolicy, FragmentSampler, DEFAULT_POLICY, type FragmentPolicyOptions } from "./fragmentPolicy.js";
export { FRAGMENTS, STAGES, fragmentByName, type Fragment, type Stage } from "./fragments.js";
export { Vocabulary } from "./vocab.js";
export { renderProgram, fragmentNames } from "./render.js";
export { taskContext, type TaskContext } from "./context.js";
export { surveyPolicy, summarizeSurvey, failureStage, outcomeLabel, type Outcome, type SurveyRecord } from "./survey.js";
