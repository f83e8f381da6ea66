/**
 * The reward rule on real executions: programs that stop at each stage, time out, write a bad submission or a
 * good one are instrumented, run under the launcher, graded, and rewarded exactly as the rule says.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { parseMarkers } from "../../src/instrument/markers.js";
import { computeReward, type FailureKind } from "../../src/reward/index.js";
import { PROGRAMS } from "../instrument/programs.js";
import { cleanup, runProgram, TEST_CSV, type Run } from "../instrument/run.js";
import type { InstrumentResult } from "../../src/instrument/types.js";

const inst = new AstInstrumenter();
after(() => inst.close());

/** The hidden answer of the test task: label = f_a + 0.3·f_b > 0 for each test row. */
const answers = new Map<string, number>(
  TEST_CSV.trim()
    .split("\n")
    .slice(1)
    .map((row) => {
      const [id, a, b] = row.split(",");
      return [id!, Number(a) + 0.3 * Number(b) > 0 ? 1 : 0];
    }),
);

function auc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((li, i) =>
    labels.forEach((lj, j) => {
      if (li === 1 && lj === 0) {
        pairs++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }),
  );
  return wins / pairs;
}

/** A small grader in MLE-bench's shape: columns id,target, every test id once, numeric targets; ROC AUC. */
function grade(csv: string | undefined): { valid_submission: boolean; score: number | null; is_lower_better: boolean } | null {
  if (csv === undefined) return null;
  const [header, ...rows] = csv.trim().split("\n");
  const invalid = { valid_submission: false, score: null, is_lower_better: false };
  if (header?.trim() !== "id,target" || rows.length !== answers.size) return invalid;
  const labels: number[] = [];
  const scores: number[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const [id, t] = row.split(",");
    if (!answers.has(id!) || seen.has(id!) || !Number.isFinite(Number(t))) return invalid;
    seen.add(id!);
    labels.push(answers.get(id!)!);
    scores.push(Number(t));
  }
  return { valid_submission: true, score: auc(labels, scores), is_lower_better: false };
}

/** The rule, written out per program: what each one must earn. */
const EXPECTED: Record<string, { reward: number | "score"; failureKind: FailureKind }> = {
  "syntax error": { reward: -10, failureKind: "syntax" },
  "missing package": { reward: -10, failureKind: "runtime_error" },
  "prints only": { reward: -10, failureKind: "no_submission" },
  "crash while loading": { reward: 0.1, failureKind: "runtime_error" },
  "crash while building features": { reward: 0.2, failureKind: "runtime_error" },
  "crash defining the model": { reward: 0.3, failureKind: "runtime_error" },
  "crash while training": { reward: 0.4, failureKind: "runtime_error" },
  "crash while predicting": { reward: 0.5, failureKind: "runtime_error" },
  "crash writing the submission": { reward: 0.7, failureKind: "runtime_error" },
  "times out after training": { reward: 0.5, failureKind: "timeout" },
  "invalid submission": { reward: 0.8, failureKind: "invalid_submission" },
  "valid submission": { reward: "score", failureKind: "none" },
  "valid submission, then a crash": { reward: "score", failureKind: "runtime_error" },
  "lightgbm in functions under a main guard": { reward: "score", failureKind: "none" },
};

test("every program has its expected reward written out", () => {
  assert.deepEqual(Object.keys(EXPECTED).sort(), PROGRAMS.map((p) => p.name).sort());
});

/** All programs run up front, a few at a time (each test then only checks its own run). */
const runs = new Map<string, { run: Run; nonce: string; inst: InstrumentResult }>();
before(async () => {
  const queue = [...PROGRAMS].sort((a, b) => (a.ends === "timeout" ? -1 : b.ends === "timeout" ? 1 : 0));
  const worker = async () => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const nonce = newNonce();
      const instrumented = await inst.instrument(p.code, nonce);
      const run = await runProgram(p.code, { launch: { sites: instrumented.sites, nonce }, timeoutSec: p.ends === "timeout" ? 10 : 120 });
      runs.set(p.name, { run, nonce, inst: instrumented });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
});
after(() => {
  for (const { run } of runs.values()) cleanup(run);
});

for (const p of PROGRAMS) {
  test(`reward: ${p.name}`, () => {
    const { run, nonce, inst: inst_ } = runs.get(p.name)!;
    {
      const markers = parseMarkers(run.stdout, nonce);
      assert.deepEqual(markers.milestones, p.reached, `milestones (stderr: ${run.stderr.slice(-400)})`);
      assert.equal(run.timedOut, p.ends === "timeout");
      if (p.ends === "ok") assert.equal(run.exitCode, 0, run.stderr);
      if (p.ends === "error") assert.notEqual(run.exitCode, 0);
      const sub = run.files["submission/submission.csv"];
      const g = grade(sub);
      assert.equal(g === null ? null : g.valid_submission ? "valid" : "invalid", p.submission);
      const b = computeReward({
        exitCode: run.timedOut ? null : run.exitCode,
        signal: run.timedOut ? "SIGKILL" : null,
        timedOut: run.timedOut,
        killed: run.timedOut ? "timeout" : null,
        syntaxError: !inst_.parsed,
        grade: g,
        milestones: markers.milestones,
        validationMetric: markers.validationMetric,
        wallSec: run.wallSec,
      });
      const want = EXPECTED[p.name]!;
      assert.equal(b.failureKind, want.failureKind);
      if (want.reward === "score") {
        assert.ok(g?.score !== null && g?.score !== undefined && g.score > 0.5, "a real model beats chance");
        assert.equal(b.reward, g.score);
        assert.equal(b.score, g.score);
        assert.equal(b.validSubmission, true);
      } else {
        assert.equal(b.reward, want.reward);
        assert.equal(b.validSubmission, false);
        assert.equal(b.score, null);
      }
      assert.deepEqual(b.milestonesReached, p.reached);
      assert.equal(b.wallSec, run.wallSec);
      if (sub !== undefined) assert.equal(readFileSync(`${run.dir}/submission/submission.csv`, "utf8"), sub);
    }
  });
}
