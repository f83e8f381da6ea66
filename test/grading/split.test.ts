import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Cell } from "../../src/io/csv.js";
import {
  gradeSplit,
  gradeSubmission,
  readTable,
  roundScore,
  scoreSplit,
  splitFraction,
  splitIdLists,
  splitIds,
  splitTask,
} from "../../src/grading/index.js";
import { UserError } from "../../src/errors.js";
import { Rng } from "../../src/util/random.js";
import { decodeNumber, runPython } from "../metrics/reference.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile, type CsvData } from "./fixtures.js";
import { REFERENCE_RULES } from "./reference-rules.js";

const dataDir = makeDataDir();
let counter = 0;

function prepared(competition: string, answers: CsvData, thresholds?: Parameters<typeof makeSpec>[2]) {
  const facts = FACTS[competition]!;
  const id = `split-${counter++}`;
  const paths = taskPaths(dataDir, id);
  const answersPath = writeCsvFile(join(paths.privateDir, facts.answersFile), answers);
  return { spec: makeSpec(competition, facts, thresholds, id), paths, answersPath };
}

test("the split is a pure function of task id, salt and row id: same everywhere, any row order, ids by value", () => {
  const competition = "tabular-playground-series-may-2022";
  const pair = validPair(competition, 1, 2000);
  const { spec, paths } = prepared(competition, pair.answers);
  const a = splitTask(spec, paths);
  const b = splitTask(spec, paths);
  assert.deepEqual(a, b);
  assert.equal(a.reward.length + a.report.length, 2000);
  // Binomial(2000, 0.5): 4.5 standard deviations either side.
  assert.ok(Math.abs(a.report.length - 1000) < 100, `report split has ${a.report.length} of 2000 rows`);
  const ids = splitIdLists(a);
  for (const id of ids.report) assert.ok(splitFraction(spec.id, "split-v1", id) < 0.5);
  for (const id of ids.reward) assert.ok(splitFraction(spec.id, "split-v1", id) >= 0.5);

  // The same answers shuffled, with ids written as 7.0 rather than 7: the same ids in each part.
  const rng = new Rng(4);
  const shuffled = { header: pair.answers.header, rows: rng.shuffle(pair.answers.rows.map((r) => [`${r[0]}.0`, ...r.slice(1)] as Cell[])) };
  const again = prepared(competition, shuffled);
  const other = splitIdLists(splitTask({ ...again.spec, id: spec.id }, again.paths));
  assert.deepEqual(new Set(other.report), new Set(ids.report));

  // Another salt or fraction draws another split; the fraction is honoured.
  const salted = splitIdLists(splitTask(spec, paths, { salt: "other" }));
  assert.notDeepEqual(new Set(salted.report), new Set(ids.report));
  const fifth = splitTask(spec, paths, { reportFraction: 0.2 });
  assert.ok(Math.abs(fifth.report.length - 400) < 80, `report fraction 0.2 gave ${fifth.report.length} of 2000`);
  // Another task with the same ids is split differently.
  const renamed = splitIdLists(splitTask({ ...spec, id: `${spec.id}-b` }, paths));
  assert.notDeepEqual(new Set(renamed.report), new Set(ids.report));
});

test("rows with the same id share a part; a bad fraction or an empty part is a user error", () => {
  const competition = "detecting-insults-in-social-commentary";
  const pair = validPair(competition, 2, 60); // comments 3 and 5 are the same text
  const { spec, paths } = prepared(competition, pair.answers);
  const split = splitTask(spec, paths);
  assert.equal(split.report.includes(3), split.report.includes(5));
  assert.throws(
    () => splitTask(spec, paths, { reportFraction: 1 }),
    (e: unknown) => e instanceof UserError && /strictly between 0 and 1, got 1/.test(e.message),
  );
  assert.throws(() => splitTask(spec, paths, { reportFraction: 0 }), UserError);
  const tiny = prepared("tabular-playground-series-may-2022", { header: ["id", "target"], rows: [[1, 0]] });
  assert.throws(
    () => splitTask(tiny.spec, tiny.paths),
    (e: unknown) => e instanceof UserError && /leaves no rows in the (reward|report) split/.test(e.message),
  );
});

const SPLIT_REFERENCE = `${REFERENCE_RULES}
out = []
for c in DATA:
    s = pd.read_csv(c["submission"], float_precision="round_trip")
    a = pd.read_csv(c["answers"], float_precision="round_trip")
    key = c["id"]
    scores = {"all": float(RULES[c["competition"]](s, a))}
    for part in ("reward", "report"):
        rows = c[part]
        ap = a.iloc[rows].reset_index(drop=True)
        if c["positional"]:
            sp = s.iloc[rows].reset_index(drop=True)
        else:
            sp = s[s[key].isin(ap[key])].reset_index(drop=True)
        scores[part] = float(RULES[c["competition"]](sp, ap))
    out.append(scores)
print(json.dumps(enc(out)))
`;

test("every grader scores each part on that part's rows alone, as pandas + scikit-learn do on the subset", () => {
  const competitions = Object.keys(FACTS).filter((c) => c !== "detecting-insults-in-social-commentary"); // same rules as pizza
  const cases = competitions.map((competition, k) => {
    const pair = validPair(competition, 100 + k, 120);
    const { spec, paths, answersPath } = prepared(competition, pair.answers);
    const submission = writeCsvFile(join(dataDir, `${spec.id}-sub.csv`), pair.submission);
    const split = splitTask(spec, paths);
    const ours = scoreSplit(spec, readTable(submission), readTable(answersPath), split);
    return { competition, spec, paths, submission, answersPath, split, ours };
  });
  const theirs = runPython(
    SPLIT_REFERENCE,
    cases.map((c) => ({
      competition: c.competition,
      submission: c.submission,
      answers: c.answersPath,
      id: c.spec.idColumn,
      positional: c.competition === "nomad2018-predict-transparent-conductors",
      reward: c.split.reward,
      report: c.split.report,
    })),
  ) as Record<"all" | "reward" | "report", unknown>[];
  cases.forEach((c, i) => {
    const ref = theirs[i]!;
    const close = (ours: number | null, v: unknown, what: string) => {
      const expected = decodeNumber(v);
      assert.ok(ours !== null, `${c.competition} ${what}: no score`);
      assert.ok(
        Math.abs(ours - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
        `${c.competition} ${what}: ours ${ours}, reference ${expected}`,
      );
    };
    close(c.ours.all, ref.all, "all rows");
    close(c.ours.reward.score, ref.reward, "reward split");
    close(c.ours.report.score, ref.report, "report split");
    assert.notEqual(c.ours.reward.score, c.ours.report.score, `${c.competition}: the two parts are scored apart`);
    // The file-level report shows the report split, and MLE-bench's score of the whole file beside it.
    const report = gradeSplit(c.spec, c.paths, c.submission, c.split);
    assert.equal(report.score, roundScore(c.ours.report.score!));
    assert.equal(report.reward_score, roundScore(c.ours.reward.score!));
    assert.equal(report.all_rows_score, gradeSubmission(c.spec, c.paths, c.submission).score);
    assert.deepEqual(report.split, {
      salt: "split-v1",
      report_fraction: 0.5,
      reward_rows: c.split.reward.length,
      report_rows: c.split.report.length,
    });
  });
});

test("medals are judged on the report-split score against the competition's thresholds", () => {
  for (const competition of ["tabular-playground-series-may-2022", "spooky-author-identification"]) {
    const pair = validPair(competition, 7, 300);
    const probe = prepared(competition, pair.answers);
    const submission = writeCsvFile(join(dataDir, `${probe.spec.id}-sub.csv`), pair.submission);
    const split = splitTask(probe.spec, probe.paths);
    const plain = gradeSplit(probe.spec, probe.paths, submission, split);
    const report = plain.score!;
    const all = plain.all_rows_score!;
    assert.notEqual(report, all);
    // A bronze threshold between the two scores: exactly one of them medals, and it must be the report split's.
    const bronze = (report + all) / 2;
    const lower = FACTS[competition]!.lowerIsBetter;
    const thresholds = lower
      ? { gold: bronze - 2, silver: bronze - 1, bronze, median: bronze + 1 }
      : { gold: bronze + 2, silver: bronze + 1, bronze, median: bronze - 1 };
    const withMedals = { ...probe.spec, thresholds }; // the same task id, so the same split
    const r = gradeSplit(withMedals, probe.paths, submission, split);
    const reportMedals = lower ? report <= bronze : report >= bronze;
    assert.equal(r.bronze_medal, reportMedals, `${competition}: report ${report}, all rows ${all}, bronze ${bronze}`);
    assert.equal(r.any_medal, reportMedals);
    assert.equal(r.above_median, true);
    assert.equal(r.bronze_threshold, bronze);
  }
});

test("the submission must still predict every test id: one missing id of either part makes it invalid", () => {
  const competition = "tabular-playground-series-may-2022";
  const pair = validPair(competition, 9, 80);
  const { spec, paths } = prepared(competition, pair.answers);
  const split = splitTask(spec, paths);
  const ids = splitIdLists(split);
  for (const part of ["reward", "report"] as const) {
    const dropped = ids[part][0]!;
    const rows = pair.submission.rows.filter((r) => String(r[0]) !== dropped);
    assert.equal(rows.length, 79);
    const submission = writeCsvFile(join(dataDir, `${spec.id}-drop-${part}.csv`), { header: pair.submission.header, rows });
    const r = gradeSplit(spec, paths, submission, split);
    assert.equal(r.valid_submission, false, part);
    assert.equal(r.score, null);
    assert.equal(r.reward_score, null);
    assert.equal(r.any_medal, false);
    assert.match(r.error ?? "", /80/, `${part}: ${r.error}`);
  }
});

test("memorising the reward split's answers gains nothing on the report split: it scores at chance there", () => {
  const competition = "tabular-playground-series-may-2022";
  const pair = validPair(competition, 10, 4000);
  const { spec, paths } = prepared(competition, pair.answers);
  const split = splitTask(spec, paths);
  const truth = new Map(pair.answers.rows.map((r) => [String(r[0]), Number(r[1])]));
  const inReward = new Set(splitIdLists(split).reward);
  const rng = new Rng(11);
  // The program was rewarded on the reward split's labels and writes them back; elsewhere it guesses.
  const rows = pair.answers.rows.map((r): Cell[] => [r[0]!, inReward.has(String(r[0])) ? truth.get(String(r[0]))! : rng.next()]);
  const submission = writeCsvFile(join(dataDir, "memoriser.csv"), { header: ["id", "target"], rows });
  const r = gradeSplit(spec, paths, submission, split);
  assert.equal(r.reward_score, 1, "perfect where it memorised");
  // ~2,000 report rows: the AUC of random scores has a standard deviation near 0.013.
  assert.ok(Math.abs(r.score! - 0.5) < 0.06, `report-split AUC ${r.score} should be chance`);
  assert.ok(
    r.all_rows_score! > 0.7,
    `the whole file (${r.all_rows_score}) rewards the memoriser, which is why reports use the report split`,
  );
});
