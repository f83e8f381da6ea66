import { test } from "node:test";
import assert from "node:assert/strict";
import { EvalResult, bestByValidation, medalOf, meanStd, summarizeAttempts, taskResult, type EvalAttempt } from "../../src/eval/result.js";

const at = (
  seed: number,
  sample: number,
  valid: boolean,
  testScore: number | null,
  validationMetric: number | null,
  medal: EvalAttempt["medal"] = null,
): EvalAttempt => ({
  seed,
  sample,
  selected: "scratch",
  testScore,
  validationMetric,
  valid,
  medal,
  wallSec: 1,
});

// Two seeds; worked out by hand below.
const ATTEMPTS = [
  at(0, 0, true, 0.8, 0.7, "bronze"),
  at(0, 1, true, 0.6, 0.9),
  at(0, 2, false, null, null),
  at(1, 0, true, 0.9, 0.5, "gold"),
  at(1, 1, false, null, 0.99),
];

test("mean ± std are over seeds of the per-seed mean selected score; invalid attempts only lower the valid rate", () => {
  const s = summarizeAttempts(ATTEMPTS, false);
  // seed 0: (0.8 + 0.6) / 2 = 0.7; seed 1: 0.9 → mean 0.8, sample std sqrt(2 · 0.1² / 1)
  assert.ok(Math.abs((s.mean as number) - 0.8) < 1e-12);
  assert.ok(Math.abs((s.std as number) - Math.sqrt(0.02)) < 1e-12);
  assert.equal(s.validRate, 3 / 5);
  assert.deepEqual(s.medalRates, { gold: 1 / 5, silver: 0, bronze: 1 / 5, any: 2 / 5 });
});

test("best-of-N picks by validation metric in the task's direction, never by test score", () => {
  // higher is better: seed 0 → sample 1 (val 0.9, test 0.6); seed 1 → sample 0 (the invalid 0.99 is not eligible), test 0.9
  const up = summarizeAttempts(ATTEMPTS, false).bestOfN;
  assert.ok(Math.abs((up.mean as number) - 0.75) < 1e-12);
  assert.ok(Math.abs((up.std as number) - Math.sqrt(2 * 0.15 ** 2)) < 1e-12);
  // lower is better: seed 0 → sample 0 (val 0.7, test 0.8); seed 1 → sample 0 (test 0.9)
  const down = summarizeAttempts(ATTEMPTS, true).bestOfN;
  assert.ok(Math.abs((down.mean as number) - 0.85) < 1e-12);
});

test("ties in validation metric keep the earlier sample; without a printed metric the earliest valid one; none valid gives null", () => {
  const tie = [at(0, 1, true, 0.2, 0.5), at(0, 0, true, 0.9, 0.5)];
  assert.equal(bestByValidation(tie, false)?.sample, 0);
  // The one submission rule (src/core/select.ts): a valid submission without a metric beats no submission.
  assert.equal(bestByValidation([at(0, 1, false, null, 0.3), at(0, 0, true, 0.9, null)], false)?.sample, 0);
  assert.equal(bestByValidation([at(0, 0, false, null, null), at(0, 1, false, null, 0.3)], false), null);
  const none = summarizeAttempts([at(0, 0, false, null, null)], true);
  assert.deepEqual(none, {
    mean: null,
    std: null,
    validRate: 0,
    medalRates: { gold: 0, silver: 0, bronze: 0, any: 0 },
    bestOfN: { mean: null, std: null },
  });
});

test("meanStd: one value has std 0, none has nulls", () => {
  assert.deepEqual(meanStd([3]), { mean: 3, std: 0 });
  assert.deepEqual(meanStd([]), { mean: null, std: null });
  assert.equal(meanStd([1, 2, 3, 4]).std, Math.sqrt(5 / 3));
});

test("medalOf follows MLE-bench: inclusive thresholds, exclusive medals, both directions", () => {
  const up = { gold: 0.9, silver: 0.85, bronze: 0.8, median: 0.7 };
  assert.equal(medalOf(0.9, up, false), "gold");
  assert.equal(medalOf(0.86, up, false), "silver");
  assert.equal(medalOf(0.8, up, false), "bronze");
  assert.equal(medalOf(0.79, up, false), null);
  assert.equal(medalOf(null, up, false), null);
  assert.equal(medalOf(0.95, null, false), null);
  const down = { gold: 0.1, silver: 0.2, bronze: 0.3, median: 0.5 };
  assert.equal(medalOf(0.1, down, true), "gold");
  assert.equal(medalOf(0.25, down, true), "bronze");
  assert.equal(medalOf(0.31, down, true), null);
});

test("the eval.json schema accepts a built result and rejects a malformed one", () => {
  const task = taskResult({ taskId: "t", metric: "roc_auc", lowerIsBetter: false, thresholds: null }, [...ATTEMPTS].reverse());
  assert.deepEqual(
    task.attempts.map((a) => [a.seed, a.sample]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [1, 0],
      [1, 1],
    ],
  );
  const ok = {
    kind: "eval",
    method: "rl",
    source: { runDir: "/r", checkpoint: null },
    samples: 3,
    seeds: [0, 1],
    createdAt: new Date().toISOString(),
    tasks: [task],
  };
  assert.equal(EvalResult.safeParse(ok).success, true);
  assert.equal(EvalResult.safeParse({ ...ok, kind: "train" }).success, false);
  assert.equal(EvalResult.safeParse({ ...ok, tasks: [{ ...task, validRate: 2 }] }).success, false);
  assert.equal(EvalResult.safeParse({ ...ok, tasks: [{ ...task, attempts: [{ ...ATTEMPTS[0], selected: "other" }] }] }).success, false);
});
