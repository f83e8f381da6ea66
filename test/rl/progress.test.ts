import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainProgress } from "../../src/rl/progress.js";
import type { RolloutRecord } from "../../src/core/rollout.js";
import { simulatedRecord } from "../../src/rollout/simulated.js";

/** A finished rollout with this graded score (null: the program failed); its reward is not the score. */
const outcome = (score: number | null, wallSec: number): RolloutRecord => {
  const r = simulatedRecord({ reward: score === null ? -10 : 3, wallSec, failed: score === null });
  return { ...r, reward: { ...r.reward, score, validationMetric: null } };
};

test("the progress line shows executor utilisation over time and the best valid score with its medal level", () => {
  let t = 0;
  const tasks = new Map([["nomad", { lowerIsBetter: true, thresholds: { gold: 0.02, silver: 0.022, bronze: 0.025, median: 0.05 } }]]);
  const p = new TrainProgress(tasks, 2, 32, () => t);
  const ev = p.events();
  const start = (id: number) => ev.onStart!({ id, taskId: "nomad", kind: "scratch", inFlight: 0, finishedUntrained: 0 });
  const finish = (id: number, o: RolloutRecord) => ev.onRollout!({ id, taskId: "nomad", kind: "scratch", policyVersion: 0 }, o);
  // Executor A busy 0–10 s and 10–20 s; executor B busy 0–5 s, then idle: 25 of 40 executor-seconds.
  start(1);
  start(2);
  t = 5_000;
  finish(2, outcome(null, 5));
  t = 10_000;
  finish(1, outcome(0.03, 10));
  start(3);
  t = 20_000;
  finish(3, outcome(0.024, 10));
  assert.ok(Math.abs(p.utilisation() - 25 / 40) < 1e-12, `utilisation ${p.utilisation()}`);
  const line = p.line();
  assert.match(line, /executors 63% busy \(0\/2 now\)/);
  assert.match(line, /best 0\.024 \(bronze\)/, "lower is better: 0.024 beats 0.03 and is below the bronze threshold");
  assert.match(line, /rollouts 3 /);
});

test("with many tasks the best scores are summarised as counts", () => {
  const th = { gold: 0.9, silver: 0.85, bronze: 0.8, median: 0.7 };
  const tasks = new Map(["a", "b", "c"].map((id) => [id, { lowerIsBetter: false, thresholds: th }]));
  const p = new TrainProgress(tasks, 1, 32, () => 0);
  const ev = p.events();
  ev.onRollout!({ id: 1, taskId: "a", kind: "scratch", policyVersion: 0 }, outcome(0.82, 1));
  ev.onRollout!({ id: 2, taskId: "b", kind: "scratch", policyVersion: 0 }, outcome(0.5, 1));
  assert.match(p.line(), /valid on 2\/3 tasks, 1 above median, 1 medal /);
});
