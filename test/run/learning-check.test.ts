import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  learningPlan,
  learningTable,
  learningVerdict,
  runLearningCheck,
  UNTRAINED,
  type LearningRow,
} from "../../src/run/learning-check.js";
import { runState } from "../../src/run/ablate.js";
import { DEFAULT_SIM_MODEL, type RunConfigInput } from "../../src/core/config.js";
import { RunStore } from "../../src/store/run-store.js";

const row = (id: number, finishedAt: number, reward: number, score: number | null): LearningRow => ({
  id,
  finishedAt,
  reward,
  valid: score !== null,
  score,
});

test("the verdict compares the first n started rollouts of each side, fifths in finishing order", () => {
  // Trained: 10 rollouts. Started 1..10; rollout 1 is slow and finishes last, so by finishing order the first
  // fifth is {2, 3} and the last fifth is {10, 1}.
  const trained = [
    row(1, 100, 4, 0.8),
    row(2, 1, -10, null),
    row(3, 2, 0.3, null),
    ...[4, 5, 6, 7, 8, 9].map((id) => row(id, id, 1, 0.7)),
    row(10, 50, 5, 0.9),
    row(11, 60, 9, 0.99), // beyond n: ignored
  ];
  const untrained = Array.from({ length: 10 }, (_, i) => row(100 + i, i, i % 2 ? -10 : 1, i % 2 ? null : 0.5 + i / 100));
  const v = learningVerdict(trained, untrained, false);
  assert.equal(v.n, 10);
  assert.ok(Math.abs(v.trained.first.meanReward - (-10 + 0.3) / 2) < 1e-12);
  assert.ok(Math.abs(v.trained.last.meanReward - (5 + 4) / 2) < 1e-12);
  assert.equal(v.trained.first.validShare, 0);
  assert.equal(v.trained.last.validShare, 1);
  assert.equal(v.trained.best, 0.9, "rollout 11 lies beyond the untrained run's count");
  assert.equal(v.untrained.best, 0.58);
  assert.ok(v.rewardUp && v.validUp && v.bestBeats);
  // Lower is better: the same scores now favour the untrained side.
  const lower = learningVerdict(trained, untrained, true);
  assert.equal(lower.trained.best, 0.7);
  assert.equal(lower.untrained.best, 0.5);
  assert.equal(lower.bestBeats, false);
  // A tie does not beat; no valid untrained sample at all is beaten by any valid trained one.
  assert.equal(learningVerdict([row(1, 1, 1, 0.5)], [row(2, 1, 1, 0.5)], false).bestBeats, false);
  assert.equal(learningVerdict([row(1, 1, 1, 0.5)], [row(2, 1, -10, null)], false).bestBeats, true);
  assert.equal(learningVerdict([row(1, 1, -10, null)], [row(2, 1, -10, null)], false).bestBeats, false);
  assert.match(
    learningTable([{ taskId: "t", verdict: v }]),
    /\| t \| 10 \| -4\.85 → 4\.50 \| 0% → 100% \| 0\.9 vs 0\.58 \| yes \| yes \| yes \|/,
  );
});

test("the plan pairs a default run with the untrained policy on the same seed and budget", () => {
  const plan = learningPlan({ outDir: "/o", tasks: ["a", "b"], rollouts: 40, seed: 3 });
  assert.deepEqual(
    plan.map((p) => `${p.taskId}/${p.kind}`),
    ["a/trained", "a/untrained", "b/trained", "b/untrained"],
  );
  const [trained, untrained] = plan;
  assert.equal(trained!.config.optim.lr, 0.01, "the trained side uses the defaults");
  assert.equal(trained!.config.loop.improveProb, 0.5);
  assert.equal(untrained!.config.optim.lr, UNTRAINED.optim.lr);
  assert.equal(untrained!.config.optim.explore, 0);
  assert.equal(untrained!.config.loop.improveProb, 0);
  for (const p of plan) {
    assert.equal(p.config.budget.rollouts, 40);
    assert.equal(p.config.budget.minutes, undefined);
    assert.equal(p.config.seed, 3);
    assert.deepEqual(p.config.tasks, [p.taskId]);
  }
});

test("a learning check runs both sides, resumes a cut one, and reads the verdict from the stores", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "mlerl-learning-"));
  const base: RunConfigInput = {
    env: { executor: "simulate", simModel: DEFAULT_SIM_MODEL },
    policy: { kind: "bandit" },
    optim: { lr: 0.3 },
    loop: { executors: 8, batchSize: 8 },
  };
  const plan = learningPlan({ outDir, tasks: ["simulated"], rollouts: 160, seed: 1, base });
  // The bandit's own learning rate for the trained side; the untrained side keeps UNTRAINED's.
  assert.equal(plan[0]!.config.optim.lr, 0.3);
  assert.equal(plan[1]!.config.optim.lr, UNTRAINED.optim.lr);
  const ac = new AbortController();
  await runLearningCheck({
    plan,
    dataDir: outDir,
    lowerIsBetter: () => false,
    signal: ac.signal,
    log: (l) => {
      if (l.includes("[2/2]") && l.includes("training")) setTimeout(() => ac.abort(), 0);
    },
  });
  assert.equal(runState(plan[0]!.runDir), "done");
  assert.equal(runState(plan[1]!.runDir), "partial", "the untrained run was cut");
  const results = await runLearningCheck({ plan, dataDir: outDir, lowerIsBetter: () => false });
  assert.equal(results.length, 1);
  for (const p of plan) {
    const s = RunStore.openReadonly(p.runDir);
    assert.equal(s.countFinished(), 160, `${p.kind}: no rollout lost or doubled across the resume`);
    s.close();
  }
  const v = results[0]!.verdict;
  assert.equal(v.n, 160);
  // The simulated bandit learns to avoid the failing action and prefer the slow, better one.
  assert.ok(v.rewardUp && v.validUp, JSON.stringify(v));
  assert.ok(v.trained.last.meanReward > v.untrained.last.meanReward, JSON.stringify(v));
});
