import { test } from "node:test";
import assert from "node:assert/strict";
import { computeReward, RewardConfig, type RewardInput } from "../../src/reward/index.js";

const clean = { exitCode: 0, timedOut: false, killed: null, grade: null, milestones: [], wallSec: 3 } satisfies RewardInput;
const valid = (score: number, lower = false) => ({ valid_submission: true, score, is_lower_better: lower });
const invalid = { valid_submission: false, score: null, is_lower_better: false };

test("valid submissions earn their score, sign flipped when lower is better", () => {
  assert.equal(computeReward({ ...clean, grade: valid(0.87) }).reward, 0.87);
  const lower = computeReward({ ...clean, grade: valid(0.25, true), milestones: ["imports"] });
  assert.equal(lower.reward, -0.25);
  assert.equal(lower.score, 0.25, "the breakdown keeps the graded score");
  assert.equal(lower.failureKind, "none");
  assert.equal(computeReward({ ...clean, grade: valid(0.25, true) }, { flipLowerIsBetter: false }).reward, 0.25);
  assert.equal(computeReward({ ...clean, grade: valid(0.5) }, { validBonus: 1 }).reward, 1.5);
});

test("without a valid submission: 0.1 per distinct milestone, −10 with none", () => {
  const m = ["imports", "data_loaded", "features_built"] as const;
  assert.equal(computeReward({ ...clean, exitCode: 1, milestones: [...m] }).reward, 0.3);
  assert.equal(computeReward({ ...clean, exitCode: 1, milestones: [...m, "imports"] }).reward, 0.3, "duplicates count once");
  assert.equal(computeReward({ ...clean, exitCode: 1 }).reward, -10);
  assert.equal(computeReward({ ...clean, exitCode: 1, milestones: [...m] }, { milestoneCredit: 0.05 }).reward, 0.15);
  assert.equal(computeReward({ ...clean, exitCode: 1 }, { failurePenalty: -1 }).reward, -1);
  const onlyMetric = { ...clean, exitCode: 1, milestones: ["validation_metric" as const] };
  assert.equal(computeReward(onlyMetric).reward, 0.1);
  assert.equal(computeReward(onlyMetric, { creditedMilestones: ["imports"] }).reward, -10, "uncredited milestones do not save a failure");
  assert.deepEqual(computeReward(onlyMetric, { creditedMilestones: ["imports"] }).milestonesReached, ["validation_metric"], "but are still reported");
});

test("failure kinds, most fundamental first", () => {
  const kind = (over: Partial<RewardInput>) => computeReward({ ...clean, ...over }).failureKind;
  assert.equal(kind({ syntaxError: true, exitCode: 1, timedOut: true }), "syntax");
  assert.equal(kind({ timedOut: true, killed: "timeout", exitCode: null, signal: "SIGKILL" }), "timeout");
  assert.equal(kind({ killed: "memory", exitCode: null, signal: "SIGKILL" }), "killed");
  assert.equal(kind({ exitCode: 2 }), "runtime_error");
  assert.equal(kind({ exitCode: null, signal: "SIGSEGV" }), "runtime_error");
  assert.equal(kind({}), "no_submission");
  assert.equal(kind({ grade: invalid }), "invalid_submission");
  assert.equal(kind({ grade: { valid_submission: true, score: null, is_lower_better: false } }), "invalid_submission", "valid without a score is not valid");
  assert.equal(kind({ grade: { valid_submission: true, score: Number.NaN, is_lower_better: false } }), "invalid_submission");
  assert.equal(kind({ grade: valid(0.9) }), "none");
});

test("a valid submission left behind by a crash or timeout: scored by default, partial credit when configured", () => {
  const crashed = { ...clean, exitCode: 1, grade: valid(0.8), milestones: ["imports", "submission_written"] as Array<"imports" | "submission_written"> };
  const b = computeReward(crashed);
  assert.deepEqual([b.reward, b.failureKind, b.validSubmission], [0.8, "runtime_error", true]);
  const strict = computeReward(crashed, { scoreDespiteFailure: false });
  assert.deepEqual([strict.reward, strict.validSubmission, strict.score], [0.2, true, 0.8]);
  const timedOut = computeReward({ ...crashed, exitCode: null, timedOut: true }, { scoreDespiteFailure: false });
  assert.equal(timedOut.reward, 0.2);
});

test("a syntax error is −10 even if milestones were somehow reported", () => {
  assert.equal(computeReward({ ...clean, exitCode: 1, syntaxError: true, milestones: ["imports"] }).reward, -10);
});

test("inputs and configs are validated", () => {
  assert.throws(() => computeReward({ ...clean, milestones: ["everything" as "imports"] }));
  assert.throws(() => computeReward({ ...clean, wallSec: -1 }));
  assert.throws(() => RewardConfig.parse({ milestoneCredit: "0.1" }));
  assert.deepEqual(RewardConfig.parse({}).creditedMilestones.length, 8);
});

test("a score floor keeps a useless valid submission above a crash, and with the training bonus above any partial credit", () => {
  const hard = { ...clean, grade: valid(34.2, true) };
  assert.equal(computeReward(hard).reward, -34.2, "the paper's rule has no floor");
  assert.equal(computeReward(hard, { scoreFloor: -1 }).reward, -1);
  assert.equal(computeReward({ ...clean, grade: valid(0.4, true) }, { scoreFloor: -1 }).reward, -0.4, "scores above the floor are unchanged");
  const training = { scoreFloor: -1, validBonus: 2 };
  const worstValid = computeReward(hard, training).reward;
  const bestPartial = computeReward({ ...clean, exitCode: 1, milestones: ["imports", "data_loaded", "features_built", "model_defined", "model_trained", "predictions_made", "submission_written", "validation_metric"] }, training).reward;
  assert.equal(worstValid, 1);
  assert.equal(bestPartial, 0.8);
  assert.ok(worstValid > bestPartial);
});
