import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, openSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Cell } from "../../src/io/csv.js";
import { gradeBounded, gradeSubmission, maxSubmissionBytes, type GradeReport } from "../../src/grading/index.js";
import { UserError } from "../../src/errors.js";
import { Rng } from "../../src/util/random.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile, type CsvData } from "./fixtures.js";

// The bounded grader (a worker thread with its own heap and a deadline) must give every submission the graders
// can score exactly the in-process verdict, and turn every way a hostile file can break grading into an
// invalid verdict with the reason, never a crash or a hang of the calling process.

const dataDir = makeDataDir();
const rng = new Rng(7);
const strip = (r: GradeReport) => ({ ...r, created_at: "" });

function setUp(competition: string) {
  const facts = FACTS[competition]!;
  const paths = taskPaths(dataDir, competition);
  const pair = validPair(competition, 11, 40);
  writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
  return { spec: makeSpec(competition, facts), paths, pair };
}

test("the bounded grader's verdict equals the in-process one, for valid and damaged submissions of every competition", async () => {
  let n = 0;
  for (const competition of Object.keys(FACTS)) {
    const { spec, paths, pair } = setUp(competition);
    const variants: CsvData[] = [pair.submission];
    for (let k = 0; k < 4; k++) {
      const s: CsvData = { header: pair.submission.header.slice(), rows: pair.submission.rows.map((r) => r.slice() as Cell[]) };
      if (k === 0) s.rows.pop();
      if (k === 1) s.rows[rng.int(s.rows.length)]![1] = "abc";
      if (k === 2) (s.header.push("extra"), s.rows.forEach((r) => r.push(1)));
      if (k === 3) s.rows.push(s.rows[0]!.slice());
      variants.push(s);
    }
    for (const v of variants) {
      const file = writeCsvFile(join(dataDir, `${competition}-${n++}.csv`), v);
      assert.deepEqual(
        strip(await gradeBounded(spec, paths, file)),
        strip(gradeSubmission(spec, paths, file)),
        `${competition} variant ${n}`,
      );
    }
    const empty = join(dataDir, `${competition}-empty.csv`);
    writeFileSync(empty, "");
    assert.deepEqual(strip(await gradeBounded(spec, paths, empty)), strip(gradeSubmission(spec, paths, empty)));
    const missing = join(dataDir, "nope.csv");
    assert.deepEqual(strip(await gradeBounded(spec, paths, missing)), strip(gradeSubmission(spec, paths, missing)));
  }
});

test("hostile submissions get an invalid verdict with the reason: a 200,000-column header, a sparse 500 MiB file, far too many rows", async () => {
  const competition = "tabular-playground-series-may-2022";
  const { spec, paths } = setUp(competition);

  const wide = join(dataDir, "wide.csv");
  writeFileSync(wide, `${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(",")}\n1\n`);
  const w = await gradeBounded(spec, paths, wide);
  assert.equal(w.valid_submission, false);
  assert.equal(w.submission_exists, true);
  assert.match(w.error ?? "", /header has 200000 columns \(at most \d+ are read\)/);

  const sparse = join(dataDir, "sparse.csv");
  const fd = openSync(sparse, "w");
  ftruncateSync(fd, 500 * 1024 * 1024);
  closeSync(fd);
  const s = await gradeBounded(spec, paths, sparse);
  assert.equal(s.valid_submission, false);
  assert.match(s.error ?? "", /524288000 bytes, over the \d+-byte limit/);
  rmSync(sparse);

  const long = join(dataDir, "long.csv");
  writeFileSync(long, `id,target\n${"1,0.5\n".repeat(200_000)}`);
  const l = await gradeBounded(spec, paths, long);
  assert.equal(l.valid_submission, false);
  assert.match(l.error ?? "", /more than \d+ lines but the test set has 40 rows/);
  assert.ok(maxSubmissionBytes(1000) >= 16 * 1024 * 1024, "small tasks still accept honest submissions of any usual size");
});

test("a grader that runs out of memory or time is an invalid verdict, and grading goes on afterwards", async () => {
  const { spec, paths, pair } = setUp("spooky-author-identification");
  const file = writeCsvFile(join(dataDir, "spooky-ok.csv"), pair.submission);
  const oom = await gradeBounded(spec, paths, file, { memoryMb: 4 });
  assert.equal(oom.valid_submission, false);
  assert.match(oom.error ?? "", /grading ran out of memory \(a 4 MiB heap\)/);
  // The deadline is a hang guard; a zero-length one stops even an honest grading.
  const slow = await gradeBounded(spec, paths, file, { timeoutSec: 0.001 });
  assert.match(slow.error ?? "", /grading took longer than 0.001 s and was stopped/);
  const ok = await gradeBounded(spec, paths, file);
  assert.deepEqual(strip(ok), strip(gradeSubmission(spec, paths, file)));
  assert.equal(ok.valid_submission, true);
});

test("broken answers are still a user error from the bounded grader", async () => {
  const { spec, paths, pair } = setUp("spooky-author-identification");
  const file = writeCsvFile(join(dataDir, "spooky-ok2.csv"), pair.submission);
  const noAnswers = { ...spec, answersFile: "missing.csv" };
  await assert.rejects(gradeBounded(noAnswers, paths, file), (e: unknown) => e instanceof UserError && /does not exist/.test(e.message));
  const damaged = { ...spec, answersFile: "damaged.csv" };
  writeFileSync(join(paths.privateDir, "damaged.csv"), 'id,EAP\n"unterminated\n');
  await assert.rejects(gradeBounded(damaged, paths, file), (e: unknown) => e instanceof UserError);
});
