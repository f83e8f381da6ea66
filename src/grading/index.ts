export {
  GradeReport,
  gradeSubmission,
  scoreTables,
  formatGradeReport,
  readAnswers,
  answersPath,
  buildReport,
  type GradeOutcome,
} from "./report.js";
export { gradeBounded, gradeBoundedSplit, DEFAULT_GRADE_BOUNDS, type GradeBounds } from "./bounded-grade.js";
export { maxSubmissionBytes } from "./submission-limits.js";
export { GRADERS, graderFor, genericGrader, type Grader } from "./competitions.js";
export { medalsFor, thresholdsFromLeaderboard, roundScore, type MedalResult, type LeaderboardThresholds } from "./medals.js";
export { readLeaderboardScores } from "./leaderboard.js";
export { InvalidSubmission } from "./checks.js";
export { AnswersError } from "./answers.js";
export { parseTable, readTable, parseNumberCell, TableError, type Table, type TableColumn } from "./table.js";
export { splitIds, splitFraction, splitIdLists, idText, DEFAULT_SPLIT, SplitSettings, type AnswersSplit, type SplitPart } from "./split.js";
export { scoreSplit, subsetTable, type SplitScores, type PartScore } from "./split-score.js";
export { gradeSplit, splitTask, SplitGradeReport } from "./split-report.js";
export { aggregateReports, GradingSummary, type CountedReport } from "./aggregate.js";
export { parseBatchFile, gradeBatch, batchReportName, BatchEntry, BatchGradingReport, type BatchLine, type TaskResolver } from "./batch.js";
