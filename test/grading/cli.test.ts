import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GradeReport } from "../../src/grading/index.js";
import { repoRoot } from "../../src/paths.js";
import { Rng } from "../../src/util/random.js";
import { runPython } from "../metrics/reference.js";
import { validPair } from "./competitions.js";
import { makeDataDir, taskPaths, writeCsvFile } from "./fixtures.js";

const dataDir = makeDataDir();

function mlerl(args: string[]) {
  const r = spawnSync(join(repoRoot(), "bin", "mlerl"), ["--data-dir", dataDir, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An MLE-bench prepared dir as `mlebench prepare` leaves it: description, sample submission, data, answers. */
function prepareCompetition(id: string, answersFile: string, seed: number) {
  const paths = taskPaths(dataDir, id);
  const pair = validPair(id, seed, 300);
  writeFileSync(join(paths.publicDir, "description.md"), `# ${id}\n`);
  writeCsvFile(join(paths.publicDir, "sample_submission.csv"), { header: pair.submission.header, rows: pair.submission.rows.slice(0, 3) });
  writeCsvFile(join(paths.publicDir, "test.csv"), { header: [pair.answers.header[0]!], rows: pair.answers.rows.map((r) => [r[0]!]) });
  const answers = writeCsvFile(join(paths.privateDir, answersFile), pair.answers);
  const submission = writeCsvFile(join(dataDir, `${id}-submission.csv`), pair.submission);
  return { paths, answers, submission, pair };
}

test("`mlerl grade --json` on an MLE-bench dir reports the score scikit-learn computes, and the table's thresholds", () => {
  const id = "tabular-playground-series-may-2022";
  const { answers, submission } = prepareCompetition(id, "test.csv", 41);
  const out = mlerl(["grade", "--task", id, "--submission", submission, "--json"]);
  assert.equal(out.code, 0, out.stderr);
  const json = JSON.parse(out.stdout) as Record<string, unknown>;
  // MLE-bench's report fields, in its order, then ours.
  assert.deepEqual(Object.keys(json), [
    "competition_id",
    "score",
    "gold_threshold",
    "silver_threshold",
    "bronze_threshold",
    "median_threshold",
    "any_medal",
    "gold_medal",
    "silver_medal",
    "bronze_medal",
    "above_median",
    "submission_exists",
    "valid_submission",
    "is_lower_better",
    "created_at",
    "submission_path",
    "error",
  ]);
  const report = GradeReport.parse(json);
  const [expected] = runPython(
    `
import pandas as pd
from sklearn.metrics import roc_auc_score
s = pd.read_csv(DATA["submission"], float_precision="round_trip").sort_values("id")
a = pd.read_csv(DATA["answers"], float_precision="round_trip").sort_values("id")
assert (s["id"].values == a["id"].values).all()
print(json.dumps([round(float(roc_auc_score(a["target"], s["target"])), 5)]))
`,
    { submission, answers },
  ) as number[];
  assert.equal(report.score, expected);
  assert.equal(report.competition_id, id);
  assert.equal(report.valid_submission, true);
  assert.equal(report.is_lower_better, false);
  // No leaderboard.csv: the thresholds of reference/mlebench.md.
  assert.deepEqual(
    [report.gold_threshold, report.silver_threshold, report.bronze_threshold, report.median_threshold],
    [0.99823, 0.99822, 0.99818, 0.97267],
  );
  assert.equal(report.any_medal, (expected as number) >= 0.99818);
  assert.equal(report.error, null);
});

test("a leaderboard.csv in the prepared dir sets the thresholds (lower is better), and medals follow", () => {
  const id = "spooky-author-identification";
  const { answers, submission, paths } = prepareCompetition(id, "test.csv", 43);
  const rng = new Rng(3);
  const scores = Array.from({ length: 130 }, () => 0.1 + rng.next()).sort((a, b) => a - b); // best (lowest) first
  writeCsvFile(join(paths.publicDir, "leaderboard.csv"), {
    header: ["scoreNullable", "teamId", "score"],
    rows: scores.map((s, i) => [s, i, s]),
  });
  const out = mlerl(["grade", "--task", id, "--submission", submission, "--json"]);
  assert.equal(out.code, 0, out.stderr);
  const report = GradeReport.parse(JSON.parse(out.stdout));
  const [score, gold, silver, bronze, median] = runPython(
    `
import pandas as pd
from sklearn.metrics import log_loss
s = pd.read_csv(DATA["submission"], float_precision="round_trip").sort_values("id")
a = pd.read_csv(DATA["answers"], float_precision="round_trip").sort_values("id")
lb = pd.read_csv(DATA["leaderboard"])["score"]
n = len(lb)  # 100 <= n < 250: gold at 10, silver at int(0.2n), bronze at int(0.4n)
cols = ["EAP", "HPL", "MWS"]
print(json.dumps([round(float(log_loss(a[cols].to_numpy(), s[cols].to_numpy())), 5), lb.iloc[9], lb.iloc[int(n * 0.2) - 1], lb.iloc[int(n * 0.4) - 1], float(lb.median())]))
`,
    { submission, answers, leaderboard: join(paths.publicDir, "leaderboard.csv") },
  ) as number[];
  assert.equal(report.score, score);
  assert.deepEqual(
    [report.gold_threshold, report.silver_threshold, report.bronze_threshold, report.median_threshold],
    [gold, silver, bronze, median],
  );
  assert.equal(report.is_lower_better, true);
  assert.equal(report.above_median, (score as number) < (median as number));
  assert.equal(report.any_medal, (score as number) <= (bronze as number));
});

test("an invalid submission prints the report with the error and exits 1; a bad task id is a user error", () => {
  const id = "tabular-playground-series-may-2022";
  const { pair } = prepareCompetition(id, "test.csv", 47);
  const bad = writeCsvFile(join(dataDir, "bad.csv"), {
    header: pair.submission.header,
    rows: pair.submission.rows.map((r, i) => (i === 2 ? [r[0]!, 1.5] : r)),
  });
  const out = mlerl(["grade", "--task", id, "--submission", bad]);
  assert.equal(out.code, 1);
  assert.match(out.stdout, /^competition_id\s+tabular-playground-series-may-2022$/m);
  assert.match(out.stdout, /^score\s+-$/m);
  assert.match(out.stdout, /^valid_submission\s+no$/m);
  assert.match(out.stdout, /^error\s+column 'target', row 3 \(id \d+\): 1\.5 is outside \[0, 1\]/m);
  const unknown = mlerl(["grade", "--task", "tabular-playground-series-may-2023", "--submission", bad]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown task 'tabular-playground-series-may-2023'.*did you mean/);
  assert.doesNotMatch(unknown.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");
});
