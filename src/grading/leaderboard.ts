import { TableError, readTable } from "./table.js";

/**
 * The `score` column of a Kaggle leaderboard.csv (as MLE-bench ships them, best first), for
 * thresholdsFromLeaderboard. Throws TableError naming the file when it has no usable scores.
 */
export function readLeaderboardScores(path: string): number[] {
  const table = readTable(path);
  const scores = table.columns.get("score");
  if (!scores) throw new TableError(`${path} has no 'score' column (its columns: ${table.header.join(", ")})`);
  if (scores.kind !== "numeric" || table.rowCount === 0)
    throw new TableError(`${path}: the 'score' column must hold numbers, one row per team`);
  return scores.numbers.slice();
}
