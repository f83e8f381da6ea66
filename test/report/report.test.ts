import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { runConfig } from "../../src/core/config.js";
import type { Milestone } from "../../src/core/rollout.js";
import { repoRoot } from "../../src/paths.js";
import { buildReport, type BuildResult } from "../../src/report/build.js";
import { expandRunDirs, loadRun } from "../../src/report/load-runs.js";
import { decodePng, rng, tempDir, writeEval, writeRun, type FixtureRollout } from "./fixtures.js";

const TASKS: Record<string, { metric: string; lowerIsBetter: boolean }> = {
  "task-auc": { metric: "roc_auc", lowerIsBetter: false },
  "task-loss": { metric: "log_loss", lowerIsBetter: true },
};
const lookup = (id: string) => TASKS[id] ?? null;

/** Random rollouts over both tasks: scores drift toward better with time, some fail at a milestone. */
function rollouts(seed: number, n: number, dtScale: number): FixtureRollout[] {
  const next = rng(seed);
  const milestones: Milestone[] = ["imports", "data_loaded", "features_built", "model_defined", "model_trained"];
  return Array.from({ length: n }, (_, i) => {
    const taskId = i % 2 === 0 ? "task-auc" : "task-loss";
    const valid = next() > 0.3;
    const progress = i / n;
    const score = taskId === "task-auc" ? 0.6 + 0.3 * progress * next() : 1.2 - 0.6 * progress * next();
    return {
      taskId,
      startedAt: i * 3 + next(),
      wallSec: dtScale * Math.exp(next() * 2),
      validSubmission: valid,
      score: valid ? score : null,
      failureKind: valid ? "none" : next() < 0.5 ? "timeout" : "runtime_error",
      milestones: valid ? [] : milestones.slice(0, Math.floor(next() * 6)),
    };
  });
}

function isPng(path: string): { width: number; height: number; variance: number; inked: number } {
  const buf = readFileSync(path);
  const png = decodePng(buf);
  const n = png.gray.length;
  const mean = png.gray.reduce((a, b) => a + b, 0) / n;
  const variance = png.gray.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const inked = png.gray.filter((g) => g < 200).length / n;
  return { width: png.width, height: png.height, variance, inked };
}

describe("mlerl report on real run directories", () => {
  let root: string;
  let result: BuildResult;
  let md: string;

  before(async () => {
    root = tempDir("report-e2e-");
    const ablate = join(root, "ablate");
    // Two seeds of the full method, epoch-second timestamps like the training loop writes.
    for (const s of [1, 2]) {
      const dir = join(ablate, `rl-seed${s}`);
      writeRun(dir, {
        method: "rl",
        label: "full method",
        rollouts: rollouts(s, 40, 2),
        updateEvery: 8,
        clockOffset: 1.7e9,
        elapsedSec: 130,
        config: { durationAware: true },
      });
      writeEval(dir, "rl", [
        { taskId: "task-auc", lowerIsBetter: false, scores: [[0.85, 0.88, null]] },
        { taskId: "task-loss", lowerIsBetter: true, scores: [[0.7 + s / 100, 0.75]] },
      ]);
    }
    const dir = join(ablate, "rl-no-duration-seed1");
    writeRun(dir, { method: "rl-no-duration", rollouts: rollouts(5, 40, 0.5), updateEvery: 8 });
    writeEval(dir, "rl-no-duration", [{ taskId: "task-auc", lowerIsBetter: false, scores: [[0.8, 0.81]] }]);
    // A baseline with its own eval.json, and one without (and without updates).
    writeRun(join(root, "aide"), { method: "aide", rollouts: rollouts(9, 30, 1) });
    writeEval(join(root, "aide"), "aide", [
      { taskId: "task-auc", lowerIsBetter: false, scores: [[0.82], [0.8]] },
      { taskId: "task-loss", lowerIsBetter: true, scores: [[0.9], [null]] },
    ]);
    writeRun(join(root, "random"), { method: "random", rollouts: rollouts(13, 30, 1) });
    result = await buildReport({ dirs: [ablate, join(root, "aide"), join(root, "random")], out: join(root, "out"), taskLookup: lookup });
    md = readFileSync(join(root, "out", "report.md"), "utf8");
  });

  it("finds the runs under a parent directory and groups seeds by method", () => {
    assert.equal(result.model.runs.length, 5);
    assert.deepEqual(result.model.methods, ["rl", "rl-no-duration", "aide", "random"]);
  });

  it("writes four valid, non-blank PNGs of a readable size", () => {
    const pngs = result.files.filter((f) => f.endsWith(".png"));
    assert.deepEqual(pngs.map((f) => f.split("/").at(-1)).sort(), ["best-so-far.png", "duration.png", "outcomes.png", "reward.png"]);
    for (const f of pngs) {
      const p = isPng(f);
      assert.ok(p.width >= 600 && p.width <= 1400, `${f}: width ${p.width}`);
      assert.ok(p.height >= 200 && p.height <= 2000, `${f}: height ${p.height}`);
      assert.ok(p.variance > 100, `${f}: pixel variance ${p.variance} looks blank`);
      assert.ok(p.inked > 0.01, `${f}: only ${p.inked} of pixels drawn`);
      assert.ok(existsSync(f.replace(/\.png$/, ".svg")));
    }
  });

  it("the markdown has the summary row of every task and a detail row per method", () => {
    assert.match(md, /^\| task-auc \| roc_auc ↑ \| .* \| .* \| .* \| not evaluated \|$/m);
    assert.match(md, /^\| task-loss \| log_loss ↓ \| .* \| not evaluated \| .* \| not evaluated \|$/m);
    for (const task of ["task-auc", "task-loss"]) {
      const section = md.split(`#### ${task}`)[1]!.split("####")[0]!;
      for (const m of task === "task-auc" ? ["rl", "rl-no-duration", "aide"] : ["rl", "aide"])
        assert.match(section, new RegExp(`^\\| ${m} \\| `, "m"), `${task}/${m}`);
      assert.match(section, /Not evaluated on this task: .*random/);
    }
    // rl: two runs, one seed each, pooled as two seeds.
    assert.match(md, /^\| rl \| 2 \| 2 \| 6 \| /m, "task-auc: two runs of one seed × three samples");
    for (const task of ["task-auc", "task-loss"])
      for (const m of result.model.methods)
        assert.match(md, new RegExp(`^\\| ${task} \\| [^|]+ \\| ${m} \\| `, "m"), `training row ${task}/${m}`);
    for (const png of ["best-so-far.png", "reward.png", "duration.png", "outcomes.png"]) assert.ok(md.includes(`](${png})`));
  });

  it("says what is missing instead of failing", () => {
    assert.match(md, /No eval\.json for: random/);
    const random = result.model.runs.find((r) => r.method === "random")!;
    assert.equal(random.updates, 0);
    assert.equal(random.evaluated, false);
  });

  it("marks the best mean per task in bold, by the task's direction", () => {
    const loss = result.model.evaluation.find((t) => t.taskId === "task-loss")!;
    const best = loss.rows.reduce((a, b) => (b.score.mean! < a.score.mean! ? b : a));
    assert.equal(loss.best, best.method);
  });
});

describe("reading damaged or partial runs", () => {
  it("an unreadable outcome row and a broken eval.json become notes", () => {
    const dir = join(tempDir("report-bad-"), "run");
    writeRun(dir, { method: "rl", rollouts: rollouts(1, 6, 1) });
    const db = new Database(join(dir, "run.sqlite"));
    db.prepare('UPDATE rollouts SET outcome_json = \'{"reward": "high"}\' WHERE id = 2').run();
    // Reports read the summary the store keeps beside each record; a summary that does not read gives way to the
    // record, which does not read either.
    db.prepare("UPDATE rollout_summaries SET reward = 'high' WHERE id = 2").run();
    db.close();
    writeFileSync(join(dir, "eval.json"), JSON.stringify({ kind: "eval", method: "rl" }));
    const run = loadRun(dir);
    assert.equal(run.rollouts.length, 6);
    assert.equal(run.rollouts.filter((r) => r.record === null).length, 1);
    assert.ok(run.notes.some((n) => n.includes("1 rollout outcome")));
    assert.ok(run.notes.some((n) => n.startsWith("eval.json field")));
    assert.equal(run.evaluation, null);
  });

  it("a run without rollouts gives a report with notes and no plots", async () => {
    const root = tempDir("report-empty-");
    writeRun(join(root, "empty"), { method: "rl", rollouts: [] });
    const r = await buildReport({ dirs: [join(root, "empty")], out: join(root, "out"), taskLookup: lookup });
    assert.equal(r.files.filter((f) => f.endsWith(".png")).length, 0);
    const text = readFileSync(join(root, "out", "report.md"), "utf8");
    assert.match(text, /no rollouts recorded/);
    assert.match(text, /No run has finished rollouts/);
    assert.match(text, /No run has an eval\.json/);
  });

  it("an eval.json alone (mlerl eval --out) is a run; the method comes from the config when meta has none", () => {
    const root = tempDir("report-evalonly-");
    writeEval(join(root, "ev"), "rl", [{ taskId: "task-auc", lowerIsBetter: false, scores: [[0.9]] }]);
    assert.equal(loadRun(join(root, "ev")).method, "rl");
    writeRun(join(root, "abl"), { config: { durationAware: true, instrumentation: false, improveProb: 0.5 }, rollouts: [] });
    assert.equal(loadRun(join(root, "abl")).method, "rl-no-instrumentation");
    // The nested config a current run stores (what `mlerl train` writes), with the same idea off.
    writeRun(join(root, "abl2"), { config: runConfig({ env: { instrumentation: false } }), rollouts: [] });
    assert.equal(loadRun(join(root, "abl2")).method, "rl-no-instrumentation");
    assert.deepEqual(
      expandRunDirs([root]).map((d) => d.split("/").at(-1)),
      ["abl", "abl2", "ev"],
    );
    mkdirSync(join(root, "nothing"));
    assert.throws(() => expandRunDirs([join(root, "nothing")]), /neither it nor its subdirectories hold a run/);
  });
});

describe("a baseline run holding several seeds", () => {
  it("is split into one search per seed, each on its own clock; the evaluation counts once", async () => {
    const root = tempDir("report-seeds-");
    const dir = join(root, "random");
    const seed0: FixtureRollout[] = [
      { taskId: "task-auc", startedAt: 0, wallSec: 10, validSubmission: true, score: 0.6, seed: 0 },
      { taskId: "task-auc", startedAt: 10, wallSec: 10, validSubmission: true, score: 0.7, seed: 0 },
    ];
    // The second search starts its clock from 0 again, after the first one.
    const seed1: FixtureRollout[] = [
      { taskId: "task-auc", startedAt: 0, wallSec: 5, validSubmission: true, score: 0.9, seed: 1 },
      { taskId: "task-auc", startedAt: 5, wallSec: 15, validSubmission: false, score: null, seed: 1 },
    ];
    writeRun(dir, { method: "random", rollouts: [...seed0, ...seed1], elapsedSec: 40 });
    writeEval(dir, "random", [{ taskId: "task-auc", lowerIsBetter: false, scores: [[0.7], [0.9]] }]);
    const r = await buildReport({ dirs: [dir], out: join(root, "out"), taskLookup: lookup });
    const row = r.model.training[0]!.rows[0]!;
    assert.equal(row.runs, 2, "two searches");
    assert.ok(Math.abs(row.best.mean! - 0.8) < 1e-12, "mean of the two searches' bests (0.7, 0.9)");
    const ev = r.model.evaluation[0]!.rows[0]!;
    assert.equal(ev.runs, 1);
    assert.equal(ev.attempts, 2);
    assert.equal(r.model.runs.length, 1, "the runs table lists the directory once");
    assert.ok(!r.model.runs[0]!.notes.some((n) => n.includes("timestamps span")), "per-seed spans add up to the elapsed time");
    const svg = readFileSync(join(root, "out", "best-so-far.svg"), "utf8");
    assert.match(svg, /thin lines: single runs/, "the two searches are drawn as separate runs with their mean");
  });
});

describe("the CLI", () => {
  const bin = join(repoRoot(), "bin", "mlerl");

  it("--json prints the tables and the files written", () => {
    const root = tempDir("report-cli-");
    writeRun(join(root, "r"), { method: "random", rollouts: rollouts(3, 10, 1) });
    writeEval(join(root, "r"), "random", [{ taskId: "task-auc", lowerIsBetter: false, scores: [[0.7, 0.75]] }]);
    const p = spawnSync(bin, ["report", join(root, "r"), "--out", join(root, "out"), "--json"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(p.status, 0, p.stderr);
    const out = JSON.parse(p.stdout) as {
      files: string[];
      evaluation: { taskId: string; rows: { method: string; score: { mean: number } }[] }[];
    };
    assert.ok(out.files.some((f) => f.endsWith("report.md")));
    assert.ok(Math.abs(out.evaluation[0]!.rows[0]!.score.mean - 0.725) < 1e-12);
    assert.equal(p.stderr, "", "no warnings from the chart compiler");
  });

  it("a missing directory is a user error with a fix", () => {
    const p = spawnSync(bin, ["report", "/nonexistent/run"], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(p.status, 0);
    assert.match(p.stderr, /no such directory/);
    assert.match(p.stderr, /fix: /);
    assert.doesNotMatch(p.stderr, /at .*\.ts:\d+/, "no stack trace");
  });
});
