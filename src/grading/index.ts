export { GradeReport, gradeSubmission, scoreTables, formatGradeReport, type GradeOutcome } from "./report.js";
export { GRADERS, graderFor, genericGrader, type Grader } from "./competitions.js";
export { medalsFor, thresholdsFromLeaderboard, roundScore, type MedalResult, type LeaderboardThresholds } from "./medals.js";
export { readLeaderboardScores } from "./leaderboard.js";
export { InvalidSubmission } from "./checks.js";
export { AnswersError } from "./answers.js";
export { parseTable, readTable, parseNumberCell, TableError, type Table, type TableColumn } from "./table.js";
