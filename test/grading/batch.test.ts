import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { BatchGradingReport, GradeReport, aggregateReports, batchReportName, gradeSubmission } from "../../src/grading/index.js";
import { repoRoot } from "../../src/paths.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile } from "./fixtures.js";

const dataDir = makeDataDir();

function mlerl(args: string[], cwd = dataDir) {
  const r = spawnSync(join(repoRoot(), "bin", "mlerl"), ["--data-dir", dataDir, ...args], { encoding: "utf8", cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function report(fields: Partial<GradeReport>): GradeReport {
  return GradeReport.parse({
    competition_id: "c",
    score: null,
    gold_threshold: null,
    silver_threshold: null,
    bronze_threshold: null,
    median_threshold: null,
    any_medal: false,
    gold_medal: false,
    silver_medal: false,
    bronze_medal: false,
    above_median: false,
    submission_exists: true,
    valid_submission: true,
    is_lower_better: false,
    created_at: new Date(0).toISOString(),
    submission_path: "s.csv",
    error: null,
    ...fields,
  });
}

test("the aggregate counts as MLE-bench's aggregate_reports does, with the counts as percentages of runs", () => {
  const reports = [
    report({ gold_medal: true, any_medal: true, above_median: true }),
    report({ silver_medal: true, any_medal: true, above_median: true }),
    report({ bronze_medal: true, any_medal: true, above_median: true }),
    report({ above_median: true }),
    report({}),
    report({ valid_submission: false }),
    report({ valid_submission: false, submission_exists: false }),
    report({ bronze_medal: true, any_medal: true, above_median: true }),
  ];
  const summary = aggregateReports(reports);
  assert.deepEqual(summary, {
    total_runs: 8,
    total_runs_with_submissions: 7,
    total_valid_submissions: 6,
    total_medals: 4,
    total_gold_medals: 1,
    total_silver_medals: 1,
    total_bronze_medals: 2,
    total_above_median: 5,
    percent_of_runs: {
      runs_with_submissions: 87.5,
      valid_submissions: 75,
      any_medal: 50,
      gold_medal: 12.5,
      silver_medal: 12.5,
      bronze_medal: 25,
      above_median: 62.5,
    },
  });
  // MLE-bench's field names, in its order.
  assert.deepEqual(Object.keys(summary).slice(0, 8), [
    "total_runs",
    "total_runs_with_submissions",
    "total_valid_submissions",
    "total_medals",
    "total_gold_medals",
    "total_silver_medals",
    "total_bronze_medals",
    "total_above_median",
  ]);
  assert.equal(aggregateReports([]).percent_of_runs.any_medal, null);
  assert.equal(batchReportName(new Date("2026-03-04T05:06:07.890Z")), "2026-03-04T05-06-07-GMT_grading_report.json");
});

/** A competition prepared in MLE-bench's layout, with a valid submission written next to the data dir. */
function prepare(id: string, seed: number) {
  const facts = FACTS[id]!;
  const paths = taskPaths(dataDir, id);
  const pair = validPair(id, seed, 200);
  writeFileSync(join(paths.publicDir, "description.md"), `# ${id}\n`);
  writeCsvFile(join(paths.publicDir, "sample_submission.csv"), { header: pair.submission.header, rows: pair.submission.rows.slice(0, 3) });
  writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
  const submission = writeCsvFile(join(dataDir, `${id}-submission.csv`), pair.submission);
  return { id, paths, pair, submission, spec: makeSpec(id, facts) };
}

test("`mlerl grade --submission FILE.jsonl` writes <time>_grading_report.json with every report and MLE-bench's totals", () => {
  const spooky = prepare("spooky-author-identification", 1);
  const tps = prepare("tabular-playground-series-may-2022", 2);
  const leaf = prepare("leaf-classification", 3);
  const bad = writeCsvFile(join(dataDir, "bad.csv"), {
    header: tps.pair.submission.header,
    rows: tps.pair.submission.rows.map((r, i) => (i === 4 ? [r[0]!, 2] : r)),
  });
  const jsonl = join(dataDir, "batch.jsonl");
  writeFileSync(
    jsonl,
    [
      "# a comment, skipped as MLE-bench skips it",
      JSON.stringify({ competition_id: spooky.id, submission_path: spooky.submission }),
      "",
      JSON.stringify({ competition_id: tps.id, submission_path: "tabular-playground-series-may-2022-submission.csv" }), // relative to the cwd
      "// another comment",
      JSON.stringify({ competition_id: tps.id, submission_path: bad }),
      JSON.stringify({ competition_id: leaf.id, submission_path: join(dataDir, "missing.csv"), agent: "extra keys are ignored" }),
    ].join("\n"),
  );
  const outDir = join(dataDir, "reports");
  const out = mlerl(["grade", "--submission", jsonl, "--output-dir", outDir]);
  assert.equal(out.code, 0, out.stderr);
  const written = readdirSync(outDir);
  assert.equal(written.length, 1);
  assert.match(written[0]!, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-GMT_grading_report\.json$/);
  const raw = JSON.parse(readFileSync(join(outDir, written[0]!), "utf8")) as Record<string, unknown>;
  assert.equal(Object.keys(raw).at(-1), "competition_reports", "reports come last, as in MLE-bench's file");
  const file = BatchGradingReport.parse(raw);
  assert.deepEqual(
    file.competition_reports.map((r) => [r.competition_id, r.valid_submission, r.submission_exists]),
    [
      [spooky.id, true, true],
      [tps.id, true, true],
      [tps.id, false, true],
      [leaf.id, false, false],
    ],
  );
  // Each line's report is the single-file grade of the same file.
  for (const [i, t] of [spooky, tps].entries()) {
    assert.equal(file.competition_reports[i]!.score, gradeSubmission(t.spec, t.paths, t.submission).score);
  }
  assert.match(file.competition_reports[2]!.error ?? "", /row 5 .*2 is outside \[0, 1\]/);
  assert.deepEqual(
    [file.total_runs, file.total_runs_with_submissions, file.total_valid_submissions],
    [4, 3, 2],
    "totals over the four lines",
  );
  assert.deepEqual(file, { ...aggregateReports(file.competition_reports), competition_reports: file.competition_reports });
  assert.match(out.stdout, /^runs 4; with a submission 3; valid 2 \(50\.0%\)$/m);
  assert.match(out.stdout, new RegExp(`report written to ${join(outDir, written[0]!)}`));
});

const JsonError = z
  .object({ error: z.object({ message: z.string(), fix: z.string().optional() }) })
  .transform((e) => ({ error: e.error.message, hint: e.error.fix ?? null }));

test("batch mistakes name the line; with --json every task-level error is JSON on stdout, exit 2", () => {
  prepare("spooky-author-identification", 4);
  const lines = (...l: string[]) => {
    const path = join(dataDir, `lines-${l.length}-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(path, `${l.join("\n")}\n`);
    return path;
  };
  const ok = JSON.stringify({ competition_id: "spooky-author-identification", submission_path: "x.csv" });
  const cases: [string, RegExp][] = [
    [lines(ok, "{not json"), /line 2 is not JSON/],
    [lines(ok, ok, JSON.stringify({ competition_id: "spooky-author-identification" })), /line 3: submission_path: /],
    [
      lines(ok, JSON.stringify({ competition_id: "spooky-author-identificaton", submission_path: "x.csv" })),
      /line 2: unknown task 'spooky-author-identificaton' \(did you mean/,
    ],
    [
      lines(JSON.stringify({ competition_id: "lmsys-chatbot-arena", submission_path: "x.csv" })),
      /line 1: MLE-bench competition 'lmsys-chatbot-arena' is not prepared/,
    ],
  ];
  for (const [path, message] of cases) {
    const plain = mlerl(["grade", "--submission", path]);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, message);
    assert.doesNotMatch(plain.stderr, /at .*\.ts:\d+/);
  }
  const json = mlerl(["grade", "--submission", cases[0]![0], "--json"]);
  assert.equal(json.code, 2);
  const err = JsonError.parse(JSON.parse(json.stdout));
  assert.match(err.error, /line 2 is not JSON/);
  assert.match(err.hint ?? "", /one JSON object per line/);
  const unknown = mlerl(["grade", "--task", "tabular-playground-series-may-2023", "--submission", "s.csv", "--json"]);
  assert.equal(unknown.code, 2);
  assert.match(JsonError.parse(JSON.parse(unknown.stdout)).error, /unknown task 'tabular-playground-series-may-2023'/);
  const noTask = mlerl(["grade", "--submission", "s.csv", "--json"]);
  assert.equal(noTask.code, 2);
  assert.match(JsonError.parse(JSON.parse(noTask.stdout)).error, /needs --task/);
});
