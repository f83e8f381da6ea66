import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MethodGroup } from "../../src/report/groups.js";
import type { LoadedRun, ReportRollout } from "../../src/report/load-runs.js";
import {
  bestSoFar,
  bestSoFarSeries,
  durationSeries,
  failureStageShares,
  furthestMilestone,
  meanCurve,
  movingAverage,
  outcomeShares,
  rewardSeries,
  windowFor,
} from "../../src/report/series.js";
import { rng } from "./fixtures.js";
import type { RewardBreakdown } from "../../src/core/rollout.js";
import { simulatedRecord } from "../../src/rollout/simulated.js";

function rollout(
  id: number,
  taskId: string,
  startSec: number,
  wallSec: number,
  valid: boolean,
  score: number | null,
  extra: Partial<RewardBreakdown> = {},
): ReportRollout {
  const record = simulatedRecord({ reward: valid ? (score ?? 0) : -10, wallSec, failed: !valid });
  return {
    id,
    taskId,
    kind: "scratch",
    policyVersion: 0,
    startSec,
    finishSec: startSec + wallSec,
    wallSec,
    reward: valid ? (score ?? 0) : -10,
    record: {
      ...record,
      reward: {
        reward: valid ? (score ?? 0) : -10,
        wallSec,
        validSubmission: valid,
        score,
        validationMetric: score,
        failureKind: valid ? "none" : "runtime_error",
        milestonesReached: [],
        ...extra,
      },
    },
    phase: "train",
  };
}

function run(name: string, rollouts: ReportRollout[]): LoadedRun {
  return {
    dir: `/runs/${name}`,
    name,
    method: "rl",
    label: null,
    config: null,
    elapsedSec: null,
    rollouts,
    updates: [],
    evaluation: null,
    executors: null,
    executorSec: null,
    testFeedback: "reward split",
    split: null,
    machine: null,
    policy: null,
    notes: [],
  };
}

describe("bestSoFar", () => {
  it("is monotone and equals a brute-force running best on random points, both directions", () => {
    const next = rng(7);
    for (let trial = 0; trial < 50; trial++) {
      const points = Array.from({ length: 1 + Math.floor(next() * 40) }, () => ({ t: Math.round(next() * 1000) / 10, score: next() }));
      for (const lower of [false, true]) {
        const steps = bestSoFar(points, lower);
        for (let i = 1; i < steps.length; i++) {
          assert.ok(steps[i]!.t >= steps[i - 1]!.t, "time never goes back");
          assert.ok(lower ? steps[i]!.score < steps[i - 1]!.score : steps[i]!.score > steps[i - 1]!.score, "each step strictly improves");
        }
        // At every input time, the step function's value equals the best of all points finished by then.
        for (const p of points) {
          const pool = points.filter((q) => q.t <= p.t).map((q) => q.score);
          const brute = lower ? Math.min(...pool) : Math.max(...pool);
          const atT = steps.filter((s) => s.t <= p.t).at(-1);
          assert.equal(atT?.score, brute);
        }
      }
    }
  });

  it("keeps the earlier of tied scores and ignores non-finite ones", () => {
    assert.deepEqual(
      bestSoFar(
        [
          { t: 5, score: 0.5 },
          { t: 1, score: 0.5 },
          { t: 3, score: Number.NaN },
          { t: 4, score: 0.7 },
        ],
        false,
      ),
      [
        { t: 1, score: 0.5 },
        { t: 4, score: 0.7 },
      ],
    );
  });
});

describe("meanCurve", () => {
  it("equals the mean over runs of a brute-force best-so-far, wherever every run has a value", () => {
    const next = rng(21);
    for (let trial = 0; trial < 30; trial++) {
      const runs = Array.from({ length: 2 + Math.floor(next() * 3) }, () => {
        const points = Array.from({ length: 1 + Math.floor(next() * 12) }, () => ({ t: Math.round(next() * 100), score: next() }));
        return { points, end: 100 + Math.round(next() * 50) };
      });
      const curve = meanCurve(runs.map((r) => ({ steps: bestSoFar(r.points, false), end: r.end })));
      const from = Math.max(...runs.map((r) => Math.min(...r.points.map((p) => p.t))));
      const to = Math.min(...runs.map((r) => r.end));
      assert.equal(curve[0]!.t, from);
      assert.equal(curve.at(-1)!.t, to);
      for (let t = from; t <= to; t += 0.5) {
        const brute =
          runs.map((r) => Math.max(...r.points.filter((p) => p.t <= t).map((p) => p.score))).reduce((a, b) => a + b, 0) / runs.length;
        const got = curve.filter((p) => p.t <= t).at(-1)!.score;
        assert.ok(Math.abs(got - brute) < 1e-12, `t=${t}: ${got} vs ${brute}`);
      }
    }
  });

  it("is empty when a run never has a value or the runs do not overlap", () => {
    assert.deepEqual(
      meanCurve([
        { steps: [{ t: 1, score: 1 }], end: 5 },
        { steps: [], end: 5 },
      ]),
      [],
    );
    assert.deepEqual(
      meanCurve([
        { steps: [{ t: 1, score: 1 }], end: 5 },
        { steps: [{ t: 6, score: 1 }], end: 9 },
      ]),
      [],
    );
  });
});

describe("movingAverage and windowFor", () => {
  it("matches a direct trailing mean on random values", () => {
    const next = rng(3);
    const values = Array.from({ length: 57 }, () => next() * 20 - 10);
    for (const w of [1, 2, 5, 57, 100]) {
      const got = movingAverage(values, w);
      values.forEach((_, i) => {
        const slice = values.slice(Math.max(0, i - w + 1), i + 1);
        assert.ok(Math.abs(got[i]! - slice.reduce((a, b) => a + b, 0) / slice.length) < 1e-9);
      });
    }
  });

  it("smooths into about 20 steps, at least 3 points, never more than n", () => {
    assert.equal(windowFor(400), 20);
    assert.equal(windowFor(16), 3);
    assert.equal(windowFor(2), 2);
    assert.equal(windowFor(0), 1);
  });
});

describe("series over runs", () => {
  const a = run("a", [
    rollout(1, "t1", 0, 10, true, 0.6),
    rollout(2, "t1", 1, 2, false, null),
    rollout(3, "t1", 2, 30, true, 0.8),
    rollout(4, "t1", 5, 1, true, 0.7),
    rollout(5, "t2", 6, 1, true, 0.3),
  ]);
  const b = run("b", [rollout(1, "t1", 0, 5, false, null, { failureKind: "timeout", milestonesReached: ["imports", "data_loaded"] })]);
  const groups: MethodGroup[] = [
    { name: "rl", runs: [a] },
    { name: "aide", runs: [b] },
  ];
  const tasks = [
    { taskId: "t1", metric: "roc_auc", lowerIsBetter: false },
    { taskId: "t2", metric: "log_loss", lowerIsBetter: true },
  ];

  it("best-so-far steps at finishing times and carries the last value to the run's end", () => {
    const pts = bestSoFarSeries(groups, tasks);
    const t1 = pts.filter((p) => p.task === "t1").map((p) => [p.minutes * 60, p.best]);
    // finishes: r4 at 6 (0.7), r1 at 10 (0.6, no gain), r3 at 32 (0.8); the run's last finish is 32.
    assert.deepEqual(t1, [
      [6, 0.7],
      [32, 0.8],
    ]);
    const t2 = pts.filter((p) => p.task === "t2").map((p) => [p.minutes * 60, p.best]);
    assert.deepEqual(t2, [
      [7, 0.3],
      [32, 0.3],
    ]);
    assert.ok(!pts.some((p) => p.method === "aide"), "a run without valid submissions has no line");
  });

  it("reward and valid share follow finishing order", () => {
    const { valid } = rewardSeries([{ name: "rl", runs: [a] }]);
    // finishing order: r2 (3, invalid), r4 (6), r5 (7), r1 (10), r3 (32); window 3.
    assert.deepEqual(
      valid.map((p) => Math.round(p.value * 1000) / 1000),
      [0, 0.5, 0.667, 1, 1],
    );
  });

  it("mean Δt comes in windows of sampling order", () => {
    const pts = durationSeries([{ name: "rl", runs: [a] }]);
    // started order: 10, 2, 30 | 1, 1
    assert.deepEqual(
      pts.map((p) => [p.rollout, p.value]),
      [
        [3, 14],
        [5, 1],
      ],
    );
  });

  it("outcome and failure-stage shares per method", () => {
    const outcomes = outcomeShares(groups);
    assert.deepEqual(
      outcomes.filter((o) => o.method === "rl").map((o) => [o.category, o.count]),
      [
        ["runtime_error", 1],
        ["valid submission", 4],
      ],
    );
    assert.equal(
      outcomes.filter((o) => o.method === "rl").reduce((s, o) => s + o.share, 0),
      1,
    );
    const stages = failureStageShares(groups);
    assert.deepEqual(
      stages.map((s) => [s.method, s.category, s.share]),
      [
        ["rl", "no milestone", 1],
        ["aide", "data_loaded", 1],
      ],
    );
    assert.equal(furthestMilestone(["validation_metric", "imports", "model_trained"]), "validation_metric");
    assert.equal(furthestMilestone(["imports", "bogus"]), "imports");
    assert.equal(furthestMilestone([]), "no milestone");
  });
});
