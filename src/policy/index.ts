/**
 * Policies: anything that implements `Sampler` (prompts in, programs with token ids and behaviour logprobs out).
 *
 * The built-in one is a small decoder-only transformer over code fragments (TensorFlow.js, WASM backend):
 *
 *   const policy = await FragmentPolicy.create({ seed: 0 });          // or (await FragmentPolicy.load(dir)).policy
 *   const sampler = new FragmentSampler(policy);
 *   const trainer = new InProcessTrainer(policy);                    // src/trainer: shares the weights and version
 *   const [c] = await sampler.sample([{ task, kind: "scratch" }], { seed: 1 });
 *   await trainer.forwardBackward([datumFromCompletion(c, advantage)], { name: "ppo" });
 *   await trainer.optimStep({ learningRate: 1e-3 });                 // policy.version + 1; the sampler follows
 *
 * Prompt tokens describe the task (modality, target, metric, column roles, size) and, for improve prompts, the
 * previous program's fragments plus feedback (stage reached, failure kind, validation-score bucket). Output tokens
 * are code fragments per program stage; `renderProgram` turns them into one Python file.
 */
export type { Sampler, SampleRequest, SampleOptions, Completion, PreviousAttempt, FeedbackStage, FailureKind } from "./types.js";
export { FEEDBACK_STAGES, FAILURE_KINDS } from "./types.js";
export { FragmentPolicy, FragmentSampler, DEFAULT_POLICY, type FragmentPolicyOptions } from "./fragment-policy.js";
export { FRAGMENTS, STAGES, fragmentByName, type Fragment, type Stage } from "./fragments.js";
export { Vocabulary } from "./vocab.js";
export { renderProgram, fragmentNames } from "./render.js";
export { taskContext, type TaskContext } from "./context.js";
export { surveyPolicy, summarizeSurvey, failureStage, outcomeLabel, type Outcome, type SurveyRecord } from "../run/survey.js";
