import { test } from "node:test";
import assert from "node:assert/strict";
import { durationWeights } from "../../src/rl/duration.js";
import { AdvantageEstimator } from "../../src/rl/advantage.js";
import { mayStart } from "../../src/rl/pacing.js";
import { Rng } from "../../src/util/random.js";

test("duration weights are Δt / mean Δt, mean 1, and all ones when disabled", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 50; trial++) {
    const dts = Array.from({ length: 1 + rng.int(40) }, () => 0.01 + Math.exp(3 * rng.normal()));
    const w = durationWeights(dts);
    const mean = dts.reduce((a, b) => a + b, 0) / dts.length;
    w.forEach((x, i) => assert.ok(Math.abs(x - dts[i]! / mean) < 1e-9));
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) / w.length - 1) < 1e-9);
    assert.deepEqual(
      durationWeights(dts, false),
      dts.map(() => 1),
    );
  }
  assert.deepEqual(durationWeights([]), []);
  assert.ok(
    durationWeights([0, 2]).every((x) => x > 0),
    "an instant failure keeps a positive weight",
  );
});

test("advantages subtract a per-(task, kind) baseline and normalise by the batch std", () => {
  const est = new AdvantageEstimator({ normalize: false, baselineMomentum: 0.5 });
  const first = est.compute([
    { taskId: "a", kind: "scratch", reward: 1 },
    { taskId: "a", kind: "scratch", reward: 3 },
    { taskId: "a", kind: "improve", reward: 10 },
  ]);
  // a/scratch against its own batch mean (2); the lone a/improve against the whole batch's mean (14 / 3).
  assert.deepEqual(first, [-1, 1, 10 - 14 / 3]);
  // Second batch uses the running baselines of the first (2 for a/scratch, 10 for a/improve).
  const second = est.compute([
    { taskId: "a", kind: "scratch", reward: 4 },
    { taskId: "a", kind: "improve", reward: 8 },
  ]);
  assert.deepEqual(second, [2, -2]);
  assert.deepEqual(est.snapshot(), { "a\u0000scratch": 3, "a\u0000improve": 9, "\u0000all": (14 / 3 + 6) / 2 });
  // A lone first rollout of a new task's kind compares with that task's other kind, then with the running mean.
  assert.deepEqual(
    est.compute([
      { taskId: "a", kind: "improve", reward: 9 },
      { taskId: "b", kind: "scratch", reward: 0 },
    ]),
    [0, -(14 / 3 + 6) / 2],
  );
  const fresh = new AdvantageEstimator({ normalize: false, baselineMomentum: 0.5 });
  fresh.compute([{ taskId: "x", kind: "scratch", reward: 2 }]);
  assert.deepEqual(fresh.compute([{ taskId: "x", kind: "improve", reward: 5 }]), [3], "x/improve starts from x/scratch's baseline");

  const norm = new AdvantageEstimator({ normalize: true, baselineMomentum: 0.5 });
  const out = norm.compute([
    { taskId: "b", kind: "scratch", reward: 0 },
    { taskId: "b", kind: "scratch", reward: 2 },
  ]);
  assert.deepEqual(out, [-1, 1]);
  assert.deepEqual(
    norm.compute([
      { taskId: "c", kind: "scratch", reward: 5 },
      { taskId: "c", kind: "scratch", reward: 5 },
    ]),
    [0, 0],
  );
});

test("pacing admits a start only while the outstanding work stays within (S+1)·B", () => {
  assert.equal(mayStart({ finishedUntrained: 0, inFlight: 0 }, 4, 0), true);
  assert.equal(mayStart({ finishedUntrained: 2, inFlight: 1 }, 4, 0), true);
  assert.equal(mayStart({ finishedUntrained: 2, inFlight: 2 }, 4, 0), false);
  assert.equal(mayStart({ finishedUntrained: 5, inFlight: 2 }, 4, 1), true);
  assert.equal(mayStart({ finishedUntrained: 5, inFlight: 3 }, 4, 1), false);
});
