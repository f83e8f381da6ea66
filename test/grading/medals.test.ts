import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { gradeSubmission, medalsFor, readTable, roundScore, scoreTables, thresholdsFromLeaderboard } from "../../src/grading/index.js";
import { Rng } from "../../src/util/random.js";
import { runPython, decodeNumber } from "../metrics/reference.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile } from "./fixtures.js";

test("medals: inclusive thresholds, exclusive medals, strict above_median, both directions", () => {
  const higher = { gold: 0.9, silver: 0.8, bronze: 0.7, median: 0.6 };
  assert.deepEqual(medalsFor(0.9, higher, false), {
    gold_medal: true,
    silver_medal: false,
    bronze_medal: false,
    any_medal: true,
    above_median: true,
  });
  assert.deepEqual(medalsFor(0.85, higher, false), {
    gold_medal: false,
    silver_medal: true,
    bronze_medal: false,
    any_medal: true,
    above_median: true,
  });
  assert.deepEqual(medalsFor(0.7, higher, false), {
    gold_medal: false,
    silver_medal: false,
    bronze_medal: true,
    any_medal: true,
    above_median: true,
  });
  assert.equal(medalsFor(0.6, higher, false).above_median, false, "equal to the median is not above it");
  assert.equal(medalsFor(0.65, higher, false).any_medal, false);
  const lower = { gold: 0.1, silver: 0.2, bronze: 0.3, median: 0.4 };
  assert.equal(medalsFor(0.1, lower, true).gold_medal, true);
  assert.equal(medalsFor(0.2, lower, true).silver_medal, true);
  assert.equal(medalsFor(0.30000000000000004, lower, true).any_medal, false);
  assert.equal(medalsFor(0.4, lower, true).above_median, false);
  assert.equal(medalsFor(0.39, lower, true).above_median, true);
  assert.equal(medalsFor(null, lower, true).any_medal, false);
  assert.equal(medalsFor(0.05, undefined, true).gold_medal, false);
  // Equal thresholds (leaf's gold = 0): gold wins and the others stay false.
  assert.deepEqual(medalsFor(0, { gold: 0, silver: 0, bronze: 0, median: 0.1 }, true), {
    gold_medal: true,
    silver_medal: false,
    bronze_medal: false,
    any_medal: true,
    above_median: true,
  });
});

test("a report carries the spec's thresholds and medals exactly at a threshold; absent thresholds are null", () => {
  const dataDir = makeDataDir();
  for (const competition of ["tabular-playground-series-may-2022", "spooky-author-identification"]) {
    const facts = FACTS[competition]!;
    const paths = taskPaths(dataDir, competition);
    const pair = validPair(competition, 21);
    const answers = writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
    const submission = writeCsvFile(join(dataDir, `${competition}.csv`), pair.submission);
    const plain = makeSpec(competition, facts);
    const raw = scoreTables(plain, readTable(submission), readTable(answers)).rawScore as number;
    const score = roundScore(raw);
    const none = gradeSubmission(plain, paths, submission);
    assert.equal(none.score, score);
    assert.equal(none.gold_threshold, null);
    assert.equal(none.median_threshold, null);
    assert.equal(none.any_medal, false);
    assert.equal(none.is_lower_better, facts.lowerIsBetter);
    const step = facts.lowerIsBetter ? -0.01 : 0.01;
    // The score sits exactly on silver: silver, not gold; it equals no median, so above it.
    const t = { gold: score + step, silver: score, bronze: score - step, median: score - 2 * step };
    const report = gradeSubmission(makeSpec(competition, facts, t), paths, submission);
    assert.equal(report.competition_id, competition);
    assert.equal(report.silver_threshold, score);
    assert.equal(report.silver_medal, true);
    assert.equal(report.gold_medal, false);
    assert.equal(report.bronze_medal, false);
    assert.equal(report.any_medal, true);
    assert.equal(report.above_median, true);
    assert.equal(report.submission_path, submission);
    assert.ok(!Number.isNaN(Date.parse(report.created_at)));
  }
});

test("thresholds from a leaderboard follow MLE-bench's rule for every size bracket (checked with pandas)", () => {
  const rng = new Rng(77);
  const sizes = [1, 2, 5, 9, 10, 11, 19, 37, 70, 99, 100, 101, 150, 249, 250, 251, 499, 600, 999, 1000, 1001, 2345, 4999];
  const boards = sizes.map((n, i) => {
    const scores = Array.from({ length: n }, () => Number(rng.next().toFixed(rng.pick([2, 5]))));
    scores.sort((a, b) => (i % 2 ? a - b : b - a)); // odd: ascending (lower is better)
    return scores;
  });
  const expected = runPython(
    `
import pandas as pd
def at(s, p):
    assert 1 <= p <= len(s)
    return float(s.iloc[p - 1])
out = []
for scores in DATA:
    s = pd.Series(scores, dtype=float); n = len(s)
    if n < 100: g, sv, b = at(s, max(1, int(n * 0.1))), at(s, max(1, int(n * 0.2))), at(s, max(1, int(n * 0.4)))
    elif n < 250: g, sv, b = at(s, 10), at(s, max(1, int(n * 0.2))), at(s, max(1, int(n * 0.4)))
    elif n < 1000: g, sv, b = at(s, 10 + int(n * 0.002)), at(s, 50), at(s, 100)
    else: g, sv, b = at(s, 10 + int(n * 0.002)), at(s, max(1, int(n * 0.05))), at(s, max(1, int(n * 0.1)))
    out.append([g, sv, b, float(s.median()), bool(s.iloc[0] < s.iloc[-1])])
print(json.dumps(enc(out)))
`,
    boards,
  ) as [number, number, number, number, boolean][];
  boards.forEach((scores, i) => {
    const t = thresholdsFromLeaderboard(scores);
    const [g, s, b, m, lower] = expected[i]!;
    assert.deepEqual(
      [t.gold, t.silver, t.bronze, t.median, t.isLowerBetter],
      [g, s, b, decodeNumber(m), lower],
      `leaderboard of ${scores.length}`,
    );
  });
  assert.throws(() => thresholdsFromLeaderboard([]), RangeError);
});

test("scores are rounded like Python's round(x, 5), ties to even included", () => {
  const rng = new Rng(5);
  const values = [0.015625, -0.015625, 0.046875, 0.984375, 2.5e-6, 7.5e-6, 0.123455, 1.000005, 0.5, 0, -0, 123.456785, 1e-9];
  for (let k = 0; k < 200; k++) values.push(rng.int(1 << 12) / 64 / rng.pick([1, 2, 4, 8, 16]), rng.normal(), rng.next() * 1e-4);
  const expected = runPython(`print(json.dumps([round(x, 5) for x in DATA]))`, values) as number[];
  values.forEach((v, i) => assert.equal(roundScore(v), expected[i], `round(${v}, 5)`));
});
