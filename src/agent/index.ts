/** The agent layer every LM policy shares: prompts, data overview, response parsing, the test-time procedure. */
export { dataOverview, DataOverviewOptions } from "./data-overview.js";
export { agentVisibleOutput, redactSecrets, trimHeadTail, DEFAULT_TRIM, type StripMarkers, type TrimOptions } from "./output.js";
export {
  loadTemplates,
  defaultPromptDir,
  promptDirFromEnv,
  renderScratch,
  renderImprove,
  PLACEHOLDERS,
  ScratchInput,
  ImproveInput,
  PreviousAttempt,
  type Templates,
  type Template,
  type TemplateName,
} from "./prompts.js";
export { parseResponse, looksLikePython, type ResponseParse, type ParsedResponse, type ResponseFailure } from "./response.js";
export { METRIC_LABELS, scratchInputOf, testTimeTaskOf } from "./task-prompt.js";
export {
  testTimeSolve,
  selectBetter,
  type Attempt,
  type RunOutcome,
  type SolveOutput,
  type SolveRequest,
  type TestTimeInput,
  type TestTimeResult,
  type Selection,
  type SelectionReason,
  type RewardVisibility,
  type VisiblePrevious,
  type Feedback,
} from "./test-time.js";
