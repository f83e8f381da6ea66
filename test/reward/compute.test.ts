import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { computeReward, qualityScaleOf, RewardConfig, type RewardInput } from "../../src/reward/index.js";
import { getTask } from "../../src/tasks/registry.js";

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
  assert.deepEqual(
    computeReward(onlyMetric, { creditedMilestones: ["imports"] }).milestonesReached,
    ["validation_metric"],
    "but are still reported",
  );
});

test("a rollout flagged as tampering earns no partial credit, but its valid submission still scores", () => {
  const m = ["imports", "data_loaded", "model_trained"] as const;
  const flagged = computeReward({ ...clean, exitCode: 1, milestones: [...m], tampering: true });
  assert.equal(flagged.reward, -10, "milestones earn nothing");
  assert.deepEqual(flagged.milestonesReached, [...m], "they are still reported");
  assert.equal(computeReward({ ...clean, exitCode: 1, milestones: [...m] }).reward, 0.3, "the same run unflagged");
  const scored = computeReward({ ...clean, grade: valid(0.87), milestones: [...m], tampering: true });
  assert.equal(scored.reward, 0.87, "the grader works outside the sandbox on the file alone");
  assert.equal(scored.failureKind, "none");
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
  assert.equal(
    kind({ grade: { valid_submission: true, score: null, is_lower_better: false } }),
    "invalid_submission",
    "valid without a score is not valid",
  );
  assert.equal(kind({ grade: { valid_submission: true, score: Number.NaN, is_lower_better: false } }), "invalid_submission");
  assert.equal(kind({ grade: valid(0.9) }), "none");
});

test("a valid submission left behind by a crash or timeout: scored by default, partial credit when configured", () => {
  const crashed = {
    ...clean,
    exitCode: 1,
    grade: valid(0.8),
    milestones: ["imports", "submission_written"] as Array<"imports" | "submission_written">,
  };
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
  assert.equal(
    computeReward({ ...clean, grade: valid(0.4, true) }, { scoreFloor: -1 }).reward,
    -0.4,
    "scores above the floor are unchanged",
  );
  const training = { scoreFloor: -1, validBonus: 2 };
  const worstValid = computeReward(hard, training).reward;
  const bestPartial = computeReward(
    {
      ...clean,
      exitCode: 1,
      milestones: [
        "imports",
        "data_loaded",
        "features_built",
        "model_defined",
        "model_trained",
        "predictions_made",
        "submission_written",
        "validation_metric",
      ],
    },
    training,
  ).reward;
  assert.equal(worstValid, 1);
  assert.equal(bestPartial, 0.8);
  assert.ok(worstValid > bestPartial);
});

test("the quality scale maps median to the bonus and gold to bonus + weight, in both metric directions", () => {
  const higher = { low: 0.8, high: 0.9, weight: 4, clampLow: -0.25 };
  const r = (score: number, lower: boolean, quality: typeof higher) =>
    computeReward({ ...clean, grade: valid(score, lower) }, { validBonus: 2, quality }).reward;
  assert.equal(r(0.8, false, higher), 2);
  assert.equal(r(0.9, false, higher), 6);
  assert.ok(Math.abs(r(0.85, false, higher) - 4) < 1e-9);
  assert.equal(r(0.99, false, higher), 2 + 4 * 1.5, "clamped above at 1.5 × weight");
  const useless = r(0.1, false, higher);
  assert.ok(useless > 2 - 4 * 0.25 && useless < 2 - 4 * 0.2, `bent toward the floor, not past it: ${useless}`);
  assert.ok(r(0.5, false, higher) > useless, "below the median a better score still earns more");
  // Lower is better: the gold score is below the median one, and a smaller error must earn more.
  const lower = { low: 0.05, high: 0.02, weight: 4, clampLow: -0.25 };
  assert.ok(r(0.03, true, lower) > r(0.04, true, lower));
  assert.equal(r(0.02, true, lower), 6);
  assert.ok(
    r(34.2, true, lower) > 1 && r(34.2, true, lower) < r(13.5, true, lower),
    "a log loss of 34 is near the floor, below one of 13.5",
  );
  assert.throws(() => RewardConfig.parse({ quality: { low: 1, high: 1, weight: 1, clampLow: -0.25 } }), "an empty scale is refused");
});

test("on random scores the quality reward is monotone in the score and matches the formula", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 200; i++) {
    const lowerIsBetter = rand() < 0.5;
    const a = rand(),
      b = rand();
    const low = lowerIsBetter ? Math.max(a, b) : Math.min(a, b);
    const high = lowerIsBetter ? Math.min(a, b) : Math.max(a, b);
    if (Math.abs(high - low) < 1e-3) continue;
    const s1 = rand(),
      s2 = rand();
    const q = { low, high, weight: 1 + 5 * rand(), clampLow: -0.25 };
    const r1 = computeReward({ ...clean, grade: valid(s1, lowerIsBetter) }, { validBonus: 2, quality: q }).reward;
    const r2 = computeReward({ ...clean, grade: valid(s2, lowerIsBetter) }, { validBonus: 2, quality: q }).reward;
    const better1 = lowerIsBetter ? s1 < s2 : s1 > s2;
    if (better1) assert.ok(r1 >= r2 - 1e-12);
    else assert.ok(r2 >= r1 - 1e-12);
    const p = (s1 - low) / (high - low);
    const expected = 2 + q.weight * (p >= 0 ? Math.min(1.5, p) : (-0.25 * p) / (p - 0.25));
    assert.ok(Math.abs(r1 - expected) < 1e-8);
    const p2 = (s2 - low) / (high - low);
    if (p < 0 && p2 < 0 && Math.abs(p - p2) > 1e-6) assert.notEqual(r1, r2, "distinct scores below the median earn distinct rewards");
  }
});

test("a task's quality scale orders every valid submission: a poor one earns more than a useless one, and neither reaches the floor", () => {
  const spec = getTask("mini-spooky-author-identification", mkdtempSync(join(tmpdir(), "mlerl-quality-")));
  const t = spec.thresholds!;
  const span = t.median - t.gold;
  const reward = (score: number, floor?: number) =>
    computeReward({ ...clean, grade: valid(score, true) }, { validBonus: 5, quality: qualityScaleOf(spec, 4, floor) }).reward;
  const poor = t.median + 0.5 * span;
  const useless = 13.5;
  for (const floor of [-0.25, -1]) {
    assert.ok(reward(poor, floor) > reward(useless, floor), `floor ${floor}: ${reward(poor, floor)} vs ${reward(useless, floor)}`);
    assert.ok(reward(useless, floor) > 5 + 4 * floor, `floor ${floor} is approached, not reached`);
  }
  assert.ok(Math.abs(reward(t.median + span) - (5 - 4 * 0.5)) < 1e-9, "one span below the median: half the default floor (−1)");
  assert.ok(reward(useless) > 1 && reward(useless) < 1.4, `a useless submission ends near the floor: ${reward(useless)}`);
  assert.ok(reward(20) < reward(useless), "and a worse one nearer still");
  assert.equal(reward(t.median), 5);
  assert.equal(reward(t.gold), 9);
});
