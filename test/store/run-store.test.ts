/**
 * Run directories written by mlerl 0.1 (test/fixtures/runs-v1: flat TrainConfig, flat outcome JSON, absolute
 * checkpoint paths of another machine) open, migrate, resume and report. Every test works on a copy: opening a
 * SQLite file in WAL mode writes beside it, and the fixtures must stay as they were written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { BaselineConfig, methodOf } from "../../src/core/config.js";
import { RolloutRecord } from "../../src/core/rollout.js";
import { repoRoot } from "../../src/paths.js";
import { buildReport } from "../../src/report/build.js";
import { loadRun } from "../../src/report/load-runs.js";
import { train } from "../../src/run/train.js";
import { storedRunConfig } from "../../src/store/run-config.js";
import { RunStore } from "../../src/store/run-store.js";
import { prepareTasks } from "../../src/tasks/registry.js";
import { tempDir } from "../agent/tmp.js";

const FIXTURES = join(repoRoot(), "test", "fixtures", "runs-v1");

/** A fresh copy of a fixture run dir. */
function copyFixture(name: "train-killed" | "aide"): string {
  const dir = join(tempDir(`mlerl-v1-${name}-`), name);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

const RawRow = z.object({
  id: z.number(),
  status: z.string(),
  policy_version: z.number(),
  reward: z.number().nullable(),
  wall_sec: z.number().nullable(),
  outcome_json: z.string().nullable(),
  finished_at: z.number().nullable(),
  trained_in: z.number().nullable(),
});
/** The 0.1 outcome as it was written, read with a schema of its own (not the store's migration). */
const RawOutcome = z.object({
  reward: z.number(),
  wallSec: z.number(),
  validSubmission: z.boolean(),
  score: z.number().nullable(),
  validationMetric: z.number().nullable(),
  failureKind: z.string(),
  milestones: z.array(z.string()),
  output: z.string().optional(),
  seed: z.number().optional(),
  step: z.string().optional(),
});

/** The rows and meta as SQLite holds them, read around RunStore. */
function rawRun(dir: string) {
  const db = new Database(join(dir, "run.sqlite"), { readonly: true });
  try {
    const rows = z.array(RawRow).parse(db.prepare("SELECT * FROM rollouts ORDER BY id").all());
    const meta = new Map(
      z
        .array(z.object({ key: z.string(), value: z.string() }))
        .parse(db.prepare("SELECT key, value FROM meta").all())
        .map((m) => [m.key, m.value]),
    );
    const updates = z
      .array(z.object({ version: z.number(), checkpoint: z.string().nullable() }))
      .parse(db.prepare("SELECT version, checkpoint FROM updates ORDER BY version").all());
    return { rows, meta, updates };
  } finally {
    db.close();
  }
}

/** Every stored record of a run agrees with the 0.1 outcome it was migrated from. */
function assertMigratedRows(dir: string): void {
  const raw = rawRun(dir);
  const store = RunStore.openReadonly(dir);
  try {
    const rows = store.rollouts();
    assert.deepEqual(
      rows.map((r) => r.id),
      raw.rows.map((r) => r.id),
    );
    for (const [i, r] of rows.entries()) {
      const old = raw.rows[i]!;
      assert.equal(r.status, old.status);
      assert.equal(r.policyVersion, old.policy_version);
      assert.equal(r.action.policyVersion, old.policy_version, `rollout ${r.id}: the stored action parses`);
      assert.equal(r.problem, null, `rollout ${r.id}: ${r.problem}`);
      if (old.outcome_json === null) {
        assert.equal(r.record, null, `rollout ${r.id} is still running`);
        continue;
      }
      const o = RawOutcome.parse(JSON.parse(old.outcome_json));
      const rec = r.record;
      assert.ok(rec, `rollout ${r.id} has a record`);
      assert.doesNotThrow(() => RolloutRecord.parse(rec), "the migrated record has the current shape");
      assert.equal(rec.reward.reward, o.reward);
      assert.equal(rec.reward.reward, old.reward, "the reward column and the record agree");
      assert.equal(rec.reward.score, o.score);
      assert.equal(rec.reward.validSubmission, o.validSubmission);
      assert.equal(rec.reward.validationMetric, o.validationMetric);
      assert.equal(rec.reward.failureKind, o.failureKind);
      assert.equal(rec.reward.wallSec, o.wallSec);
      assert.deepEqual(rec.reward.milestonesReached, o.milestones);
      assert.equal(rec.feedback.milestones, o.milestones.length);
      assert.equal(rec.feedback.validSubmission, o.validSubmission);
      assert.equal(rec.feedback.output, o.output ?? "");
      if (o.seed !== undefined) assert.deepEqual(rec.search, { seed: o.seed, step: o.step, node: null });
      else assert.equal(rec.search, undefined);
    }
  } finally {
    store.close();
  }
}

test("a 0.1 training run opens: its flat config migrates, its outcome rows read as records, its checkpoints resolve under the run dir", () => {
  const dir = copyFixture("train-killed");
  assert.ok(RunStore.exists(dir));
  const raw = rawRun(dir);
  const flat = z.record(z.string(), z.unknown()).parse(JSON.parse(raw.meta.get("config")!));
  assert.equal(flat.version, undefined, "the precondition: the stored config is 0.1's flat shape");

  const store = RunStore.openReadonly(dir);
  try {
    const config = storedRunConfig(store);
    assert.ok(config);
    assert.equal(config.version, 2);
    assert.deepEqual(config.tasks, flat.tasks);
    assert.equal(config.seed, flat.seed);
    assert.deepEqual(config.budget, { rollouts: flat.maxRollouts, minutes: undefined });
    assert.equal(config.env.executor, flat.executor);
    assert.equal(config.env.timeoutSec, flat.timeoutSec);
    assert.equal(config.env.instrumentation, flat.instrumentation);
    assert.equal(config.env.instrumenter, flat.instrumenter);
    assert.equal(config.policy.kind, flat.policy);
    assert.equal(config.policy.trainer, flat.trainer);
    assert.equal(config.optim.lr, flat.learningRate);
    assert.equal(config.optim.loss, flat.loss);
    assert.equal(config.optim.clip, flat.clip);
    assert.equal(config.optim.epochs, flat.epochs);
    assert.equal(config.optim.explore, flat.explorationBonus);
    assert.equal(config.loop.executors, flat.executors);
    assert.equal(config.loop.batchSize, flat.batchSize);
    assert.equal(config.loop.maxStaleness, flat.maxStaleness);
    assert.equal(config.loop.improveProb, flat.improveProb);
    assert.equal(config.loop.durationAware, flat.durationAware);
    assert.equal(config.loop.normalizeAdvantages, flat.normalizeAdvantages);
    assert.deepEqual(config.reward, {
      validBonus: flat.validBonus,
      scoreFloor: flat.scoreFloor,
      qualityWeight: flat.qualityWeight,
      qualityFloor: flat.qualityFloor,
    });
    assert.equal(methodOf(config), store.getMeta("method"));

    const updates = store.updates();
    assert.deepEqual(
      updates.map((u) => u.version),
      raw.updates.map((u) => u.version),
    );
    for (const [i, u] of updates.entries()) {
      const stored = raw.updates[i]!.checkpoint!;
      assert.ok(stored.startsWith("/") && !stored.startsWith(dir), `the precondition: ${stored} is another machine's path`);
      assert.equal(u.checkpoint, join(dir, "checkpoints", stored.split("/").at(-1)!));
    }
    assert.ok(existsSync(join(updates.at(-1)!.checkpoint!, "policy.json")), "the newest checkpoint is found under the run dir");
    assert.deepEqual(
      updates.map((u) => u.stats.rolloutIds),
      [
        [1, 2],
        [3, 4],
      ],
    );
  } finally {
    store.close();
  }
  assertMigratedRows(dir);
});

test("a copied 0.1 run resolves its checkpoints under the copy even while the original's still exist", () => {
  const original = copyFixture("train-killed");
  const copy = copyFixture("train-killed");
  // As 0.1 wrote them had the run been trained in `original`: absolute paths that exist on this machine.
  const db = new Database(join(copy, "run.sqlite"));
  db.prepare("UPDATE updates SET checkpoint = ? || '/checkpoints/v' || printf('%06d', version)").run(original);
  db.close();
  assert.ok(existsSync(join(original, "checkpoints", "v000008")));
  const store = RunStore.openReadonly(copy);
  try {
    assert.deepEqual(
      store.updates().map((u) => u.checkpoint),
      [join(copy, "checkpoints", "v000004"), join(copy, "checkpoints", "v000008")],
      "a resumed copy must neither load nor prune the original's checkpoints",
    );
  } finally {
    store.close();
  }
});

test("a 0.1 baseline run opens: its config is a baseline config, its records carry reward, validity and search step", () => {
  const dir = copyFixture("aide");
  const store = RunStore.openReadonly(dir);
  try {
    const config = store.readMeta("config", BaselineConfig);
    assert.equal(config?.method, "aide");
    assert.deepEqual(config?.seeds, [0]);
  } finally {
    store.close();
  }
  assertMigratedRows(dir);
});

test(
  "resuming the 0.1 run killed after 4 of 6 rollouts runs the 2 interrupted ones in the sandbox, counting nothing twice",
  { timeout: 600_000 },
  async () => {
    const dir = copyFixture("train-killed");
    const before = rawRun(dir);
    assert.deepEqual(
      before.rows.map((r) => r.status),
      ["trained", "trained", "trained", "trained", "running", "running"],
      "the precondition: killed with two rollouts in flight",
    );
    const dataDir = tempDir("mlerl-v1-data-");
    await prepareTasks(["mini-leaf-classification"], dataDir, () => {});
    const lines: string[] = [];
    // The caller's config is ignored on resume: the stored one decides.
    const result = await train({
      runDir: dir,
      dataDir,
      resume: true,
      config: { budget: { rollouts: 50 } },
      log: (l) => lines.push(l),
    });
    assert.equal(result.config.budget.rollouts, 6);
    assert.equal(result.loop.rollouts, 6);
    assert.equal(result.loop.stoppedBy, "rollouts");
    assert.ok(
      lines.some((l) => /resuming .*: 4 rollouts finished, policy version 8/.test(l)),
      `the fragment policy continued from checkpoint v000008:\n${lines.join("\n")}`,
    );

    const after = rawRun(dir);
    assert.deepEqual(
      after.rows.map((r) => r.id),
      [1, 2, 3, 4, 5, 6],
      "no rollout lost or added",
    );
    for (const old of before.rows.slice(0, 4)) {
      const now = after.rows.find((r) => r.id === old.id)!;
      assert.deepEqual(now, old, `rollout ${old.id}, trained before the kill, was not run or trained again`);
    }
    const store = RunStore.openReadonly(dir);
    try {
      assert.equal(store.countFinished(), 6);
      const rows = store.rollouts();
      assert.ok(rows.every((r) => r.status !== "running" && r.record !== null && r.problem === null));
      for (const r of rows.slice(4)) {
        // Re-executed from the stored action, not sampled anew.
        assert.equal(readFileSync(join(dir, "rollouts", String(r.id), "program.py"), "utf8"), r.action.code);
        assert.equal(r.policyVersion, 4);
        assert.ok(r.record!.execution.wallSec > 0 && r.record!.grade !== null, "a real execution, graded");
      }
      const updates = store.updates();
      const trainedIds = updates.flatMap((u) => u.stats.rolloutIds);
      assert.equal(new Set(trainedIds).size, trainedIds.length, "no rollout trained twice");
      assert.deepEqual(
        rows.filter((r) => r.status === "trained").map((r) => r.id),
        [...trainedIds].sort((a, b) => a - b),
      );
      assert.deepEqual(
        updates.map((u) => u.version),
        [4, 8, 12],
        "the new update continues from version 8 (four PPO epochs)",
      );
      assert.deepEqual(updates.at(-1)!.stats.rolloutIds.sort(), [5, 6]);
      const newest = updates.at(-1)!.checkpoint!;
      assert.equal(newest, join(dir, "checkpoints", "v000012"), "the new checkpoint is written and found under the run dir");
      assert.ok(existsSync(join(newest, "policy.json")));
      assert.equal(after.updates.at(-1)!.checkpoint, join("checkpoints", "v000012"), "and stored relative to it");
      assert.equal(store.getMeta("stopped_by"), "rollouts");
    } finally {
      store.close();
    }
  },
);

test("reports read both 0.1 runs whole: no unreadable rows, the baseline's records keep their search seed and step", () => {
  const killed = loadRun(copyFixture("train-killed"));
  assert.equal(killed.method, "rl");
  assert.ok(!killed.notes.some((n) => /could not be read|left out/.test(n)), killed.notes.join("\n"));
  assert.equal(killed.rollouts.length, 6);
  assert.equal(killed.rollouts.filter((r) => r.record !== null).length, 4, "the two running rollouts have no record yet");
  assert.deepEqual(
    killed.updates.map((u) => u.version),
    [4, 8],
  );
  assert.ok(killed.rollouts.every((r) => r.record === null || r.record.search === undefined));

  const aide = loadRun(copyFixture("aide"));
  assert.equal(aide.method, "aide");
  assert.ok(!aide.notes.some((n) => /could not be read|left out/.test(n)), aide.notes.join("\n"));
  assert.equal(aide.rollouts.length, 3);
  for (const r of aide.rollouts) {
    assert.ok(r.record, `rollout ${r.id} has a record`);
    assert.deepEqual(r.record.search, { seed: 0, step: "draft", node: null });
    assert.equal(r.reward, r.record.reward.reward);
  }
  assert.equal(aide.evaluation?.method, "aide", "its eval.json reads too");
});

test("a report built from 0.1 runs (no split, rewarded on every answer) says they were trained with test feedback", async () => {
  const dirs = [copyFixture("train-killed"), copyFixture("aide")];
  assert.equal(loadRun(dirs[0]!).testFeedback, "all");
  const out = join(tempDir("mlerl-v1-report-"), "report");
  const { model } = await buildReport({ dirs, out, taskLookup: () => null });
  assert.equal(model.resources.testFeedback, "all (trained with test feedback)");
  const markdown = readFileSync(join(out, "report.md"), "utf8");
  assert.match(markdown, /test feedback during training: all \(trained with test feedback\)/);
  assert.match(markdown, /none \(scored on every answer\)/);
});

test("a corrupt record row is reported as that row's problem, not a crash", () => {
  const dir = copyFixture("train-killed");
  const db = new Database(join(dir, "run.sqlite"));
  db.prepare("UPDATE rollouts SET outcome_json = ? WHERE id = 2").run("{\u0000garbage");
  db.prepare("UPDATE rollouts SET outcome_json = ? WHERE id = 3").run(JSON.stringify({ reward: "high" }));
  db.close();

  const store = RunStore.openReadonly(dir);
  try {
    const rows = store.rollouts();
    assert.equal(rows.length, 6);
    const [r1, r2, r3, r4] = rows;
    assert.equal(r2!.record, null);
    assert.match(r2!.problem ?? "", /run\.sqlite: rollout 2: record: not JSON/);
    assert.equal(r3!.record, null);
    assert.match(r3!.problem ?? "", /run\.sqlite: rollout 3: record: field/);
    for (const r of [r1!, r4!]) {
      assert.equal(r.problem, null);
      assert.ok(r.record, "the other rows still read");
    }
    assert.equal(store.rollout(2)?.problem, r2!.problem);
    assert.equal(store.countFinished(), 4);
  } finally {
    store.close();
  }
  const run = loadRun(dir);
  assert.equal(run.rollouts.length, 6);
  assert.ok(
    run.notes.some((n) => /^2 rollout outcome\(s\) in run\.sqlite could not be read/.test(n)),
    run.notes.join("\n"),
  );
});
