import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { groupRuns, tasksOf } from "../../src/report/groups.js";
import { loadRun } from "../../src/report/load-runs.js";
import { bestScore, evalTables, trainingTables } from "../../src/report/tables.js";
import { fmtMeanStd, fmtNum } from "../../src/report/write.js";
import { rng, tempDir, writeEval, writeRun } from "./fixtures.js";

function directStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) };
}

describe("evaluation tables", () => {
  it("pools run directories of one method as seeds; mean and std match a direct computation", () => {
    const root = tempDir("report-tables-");
    const next = rng(11);
    const scores = (seeds: number, samples: number) =>
      Array.from({ length: seeds }, () => Array.from({ length: samples }, () => (next() < 0.2 ? null : 0.5 + next() * 0.4)));
    const rl1 = scores(2, 3);
    const rl2 = scores(3, 3);
    writeEval(join(root, "rl-1"), "rl", [{ taskId: "t", lowerIsBetter: false, scores: rl1 }]);
    writeEval(join(root, "rl-2"), "rl", [{ taskId: "t", lowerIsBetter: false, scores: rl2 }]);
    writeEval(join(root, "aide"), "aide", [{ taskId: "t", lowerIsBetter: false, scores: [[0.6, 0.7]] }]);
    writeRun(join(root, "random"), {
      method: "random",
      rollouts: [{ taskId: "t", startedAt: 0, wallSec: 1, validSubmission: true, score: 0.55 }],
    });
    const runs = ["rl-1", "rl-2", "aide", "random"].map((d) => loadRun(join(root, d)));
    const [table] = evalTables(groupRuns(runs));
    assert.ok(table);
    const rl = table.rows.find((r) => r.method === "rl")!;
    assert.equal(rl.runs, 2);
    assert.equal(rl.seeds, 5, "(run, seed) pairs: 2 + 3");
    assert.equal(rl.attempts, 15);
    // Per seed, mean of the valid scores; then mean ± sample std over seeds that have any.
    const perSeed = [...rl1, ...rl2]
      .map((s) => s.filter((x): x is number => x !== null))
      .filter((s) => s.length > 0)
      .map((s) => s.reduce((a, b) => a + b, 0) / s.length);
    const want = directStd(perSeed);
    assert.ok(Math.abs(rl.score.mean! - want.mean) < 1e-12);
    assert.ok(Math.abs(rl.score.std! - want.std) < 1e-12);
    const all = [...rl1, ...rl2].flat();
    assert.equal(rl.validRate, all.filter((x) => x !== null).length / all.length);
    const aide = table.rows.find((r) => r.method === "aide")!;
    assert.ok(Math.abs(aide.score.mean! - 0.65) < 1e-12);
    assert.deepEqual(table.missing, ["random"]);
    assert.equal(table.best, rl.score.mean! > 0.65 ? "rl" : "aide");
  });

  it("the best method follows the task's direction", () => {
    const root = tempDir("report-tables-");
    writeEval(join(root, "a"), "a", [{ taskId: "loss", lowerIsBetter: true, scores: [[0.4]] }]);
    writeEval(join(root, "b"), "b", [{ taskId: "loss", lowerIsBetter: true, scores: [[0.3]] }]);
    const [t] = evalTables(groupRuns([loadRun(join(root, "a")), loadRun(join(root, "b"))]));
    assert.equal(t!.best, "b");
  });
});

describe("training tables", () => {
  it("per run best by direction, then mean ± std over runs; valid share and mean Δt over all rollouts", () => {
    const root = tempDir("report-train-");
    writeRun(join(root, "s1"), {
      method: "rl",
      rollouts: [
        { taskId: "up", startedAt: 0, wallSec: 2, validSubmission: true, score: 0.7 },
        { taskId: "up", startedAt: 1, wallSec: 4, validSubmission: true, score: 0.9 },
        { taskId: "down", startedAt: 2, wallSec: 6, validSubmission: true, score: 0.5 },
        { taskId: "down", startedAt: 3, wallSec: 8, validSubmission: false, score: null },
      ],
    });
    writeRun(join(root, "s2"), {
      method: "rl",
      rollouts: [
        { taskId: "up", startedAt: 0, wallSec: 1, validSubmission: true, score: 0.8 },
        { taskId: "down", startedAt: 0, wallSec: 1, validSubmission: true, score: 0.2 },
        { taskId: "down", startedAt: 0, wallSec: 1, validSubmission: true, score: 0.4 },
      ],
    });
    const groups = groupRuns([loadRun(join(root, "s1")), loadRun(join(root, "s2"))]);
    const tasks = tasksOf(groups, (id) =>
      id === "down" ? { metric: "log_loss", lowerIsBetter: true } : id === "up" ? { metric: "roc_auc", lowerIsBetter: false } : null,
    );
    const tables = trainingTables(groups, tasks);
    const up = tables.find((t) => t.taskId === "up")!.rows[0]!;
    const down = tables.find((t) => t.taskId === "down")!.rows[0]!;
    const wantUp = directStd([0.9, 0.8]);
    assert.ok(Math.abs(up.best.mean! - wantUp.mean) < 1e-12 && Math.abs(up.best.std! - wantUp.std) < 1e-12);
    assert.equal(up.bestOverall, 0.9);
    const wantDown = directStd([0.5, 0.2]);
    assert.ok(Math.abs(down.best.mean! - wantDown.mean) < 1e-12 && Math.abs(down.best.std! - wantDown.std) < 1e-12);
    assert.equal(down.bestOverall, 0.2);
    assert.equal(down.validShare, 3 / 4);
    assert.equal(down.meanDt, (6 + 8 + 1 + 1) / 4);
    assert.equal(down.runs, 2);
  });

  it("bestScore and number formats", () => {
    assert.equal(bestScore([0.3, Number.NaN, 0.1], true), 0.1);
    assert.equal(bestScore([], false), null);
    assert.equal(fmtNum(0.05331), "0.0533");
    assert.equal(fmtNum(0.91349), "0.913");
    assert.equal(fmtNum(null), "–");
    assert.equal(fmtMeanStd({ mean: 0.5, std: 0.01 }, 3), "0.500 ± 0.0100");
    assert.equal(fmtMeanStd({ mean: 0.5, std: 0 }, 1), "0.500", "one seed: no spread to show");
  });
});
