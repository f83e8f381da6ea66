export { GradeReport, gradeSubmission, scoreTables, formatGradeReport, answersPath, buildReport, type GradeOutcome } from "./report.js";
export { gradeBounded, DEFAULT_GRADE_BOUNDS, type GradeBounds } from "./bounded-grade.js";
export { maxSubmissionBytes } from "./submission-limits.js";
export { GRADERS, graderFor, genericGrader, type Grader } from "./competitions.js";
export { medalsFor, thresholdsFromLeaderboard, roundScore, type MedalResult, type LeaderboardThresholds } from "./medals.js";
export { readLeaderboardScores } from "./leaderboard.js";
export { InvalidSubmission } from "./checks.js";
export { AnswersError } from "./answers.js";
export { parseTable, readTable, parseNumberCell, TableError, type Table, type TableColumn } from "./table.js";
