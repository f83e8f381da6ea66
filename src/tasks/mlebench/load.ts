import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { UserError } from "../../errors.js";
import { readLeaderboardScores, thresholdsFromLeaderboard } from "../../grading/index.js";
import type { TaskPaths, TaskSpec, Thresholds } from "../../core/task.js";

/** Where a leaderboard.csv may sit: in public/ or in its parent (prepared/). First found wins. */
export function leaderboardPath(paths: TaskPaths): string | undefined {
  return [join(paths.publicDir, "leaderboard.csv"), join(dirname(paths.publicDir), "leaderboard.csv")].find((p) => existsSync(p));
}

/** Thresholds derived from a leaderboard.csv by MLE-bench's rule, or undefined when there is none. */
export function leaderboardThresholds(paths: TaskPaths): Thresholds | undefined {
  const path = leaderboardPath(paths);
  if (!path) return undefined;
  let scores: number[];
  try {
    scores = readLeaderboardScores(path);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(
      `cannot read the leaderboard ${path}: ${msg}`,
      "give it a numeric 'score' column with one row per team, best first (as Kaggle exports it), or remove it to use the built-in thresholds",
    );
  }
  const { gold, silver, bronze, median } = thresholdsFromLeaderboard(scores);
  return { gold, silver, bronze, median };
}

/** The sample submission actually present (MLE-bench keeps each competition's own file name). */
function sampleSubmissionIn(publicDir: string, expected: string): string {
  if (existsSync(join(publicDir, expected))) return expected;
  const found = readdirSync(publicDir)
    .filter((f) => /^sample_?submission.*\.csv$/i.test(f))
    .sort();
  return found[0] ?? expected;
}

/**
 * The spec of a prepared MLE-bench competition: description from public/description.md, the sample submission's
 * real name, the files public/ holds, and leaderboard thresholds when a leaderboard.csv is present.
 */
export function loadPreparedSpec(base: TaskSpec, paths: TaskPaths): TaskSpec {
  const descPath = join(paths.publicDir, "description.md");
  const description = existsSync(descPath) ? readFileSync(descPath, "utf8") : base.description;
  const sampleSubmissionFile = sampleSubmissionIn(paths.publicDir, base.sampleSubmissionFile);
  const publicFiles = readdirSync(paths.publicDir, { withFileTypes: true })
    .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
    .sort();
  const thresholds = leaderboardThresholds(paths) ?? base.thresholds;
  return { ...base, description, sampleSubmissionFile, publicFiles, ...(thresholds ? { thresholds } : {}) };
}
