/**
 * The summaries the run store keeps beside each record (what reports and the dashboard read of every rollout) are
 * what the full records give: in a store written now, in one written before summaries existed (read-only, where
 * they are computed from the records, and the file is left as it was), and after such a store is reopened for
 * writing (which fills them in). All on real SQLite files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { summaryOf, type RolloutRecord } from "../../src/core/rollout.js";
import { repoRoot } from "../../src/paths.js";
import { loadRun } from "../../src/report/load-runs.js";
import { simulatedRecord } from "../../src/rollout/simulated.js";
import { UpdateStats } from "../../src/core/update.js";
import { RunStore, type RolloutOverview } from "../../src/store/run-store.js";
import { tempDir } from "../agent/tmp.js";

/** Records of every shape the summary has to carry: graded or not, split scores or none, a search step, a worker. */
function records(): RolloutRecord[] {
  // Numbers that need every digit of a double (the summaries must read back exactly).
  const sim = simulatedRecord({ reward: 0.1 + 0.2, wallSec: 19.888780013658106, failed: true });
  const valid = simulatedRecord({ reward: 1.7, wallSec: 11, failed: false });
  const grade = {
    competition_id: "mini-leaf-classification",
    score: 0.41,
    gold_threshold: 0.1,
    silver_threshold: 0.2,
    bronze_threshold: 0.3,
    median_threshold: 0.6,
    any_medal: false,
    gold_medal: false,
    silver_medal: false,
    bronze_medal: false,
    above_median: true,
    submission_exists: true,
    valid_submission: true,
    is_lower_better: true,
    created_at: new Date(0).toISOString(),
    submission_path: "/tmp/x/submission.csv",
    error: null,
  };
  return [
    sim,
    { ...valid, grade, scores: { reward: 0.4, report: 0.41, all: 0.405 }, execution: { ...valid.execution, worker: "worker-3" } },
    {
      ...sim,
      reward: { ...sim.reward, milestonesReached: ["imports", "data_loaded", "model_trained"], failureKind: "timeout" },
      execution: { ...sim.execution, worker: null },
      search: { seed: 2, step: "debug", node: 7 },
    },
    { ...valid, scores: { reward: null, report: null, all: 0.5 }, search: { seed: 1, step: "draft", node: null } },
  ];
}

/** A run as training writes it: finished rollouts of each shape, one still running, one update. */
function writeRun(dir: string): void {
  const store = RunStore.open(dir);
  try {
    const ids: number[] = [];
    records().forEach((record, i) => {
      const id = store.startRollout({
        taskId: i % 2 ? "mini-leaf-classification" : "mini-spooky-author",
        kind: i === 3 ? "improve" : "scratch",
        parentId: i === 3 ? 2 : null,
        action: { code: `print(${i})\n`.repeat(50), policyVersion: i, payload: { tokens: [1, 2, 3] } },
        startedAt: 100 + i,
      });
      assert.ok(store.finishRollout(id, record, 110 + i * 3));
      ids.push(id);
    });
    store.startRollout({
      taskId: "mini-spooky-author",
      kind: "scratch",
      parentId: null,
      action: { code: "x", policyVersion: 4, payload: null },
      startedAt: 120,
    });
  } finally {
    store.close();
  }
}

/** The overviews as the full records give them (what the store read before it kept summaries). */
function fromRecords(store: RunStore): RolloutOverview[] {
  return store.rolloutOutcomes().map((r) => ({
    id: r.id,
    taskId: r.taskId,
    kind: r.kind,
    parentId: r.parentId,
    policyVersion: r.policyVersion,
    summary: r.record === null ? null : summaryOf(r.record),
    problem: r.problem,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  }));
}

function readonly<T>(dir: string, f: (s: RunStore) => T): T {
  const store = RunStore.openReadonly(dir);
  try {
    return f(store);
  } finally {
    store.close();
  }
}

/** The summary rows as SQLite holds them (null: the store has no summaries table). */
function summaryRows(dir: string): number | null {
  const db = new Database(join(dir, "run.sqlite"), { readonly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'rollout_summaries'").get();
    if (table === undefined) return null;
    return z.object({ n: z.number() }).parse(db.prepare("SELECT COUNT(*) AS n FROM rollout_summaries").get()).n;
  } finally {
    db.close();
  }
}

/** A store as an mlerl without summaries wrote it: the same rows, no summaries table. */
function withoutSummaries(dir: string): void {
  const db = new Database(join(dir, "run.sqlite"));
  db.exec("DROP TABLE rollout_summaries");
  db.close();
}

test("a store keeps a summary per rollout that equals its full record's, running rollouts included", () => {
  const dir = join(tempDir("mlerl-summaries-"), "run");
  writeRun(dir);
  assert.equal(summaryRows(dir), 5);
  readonly(dir, (s) => {
    const overviews = s.rolloutOverviews();
    assert.equal(overviews.length, 5);
    assert.deepEqual(overviews, fromRecords(s));
    const [plain, graded, searched, improve, running] = overviews;
    assert.deepEqual(plain!.summary?.grade, null);
    assert.deepEqual(graded!.summary?.grade, { submission_exists: true });
    assert.deepEqual(graded!.summary?.scores, { reward: 0.4, report: 0.41, all: 0.405 });
    assert.equal(graded!.summary?.execution.worker, "worker-3");
    assert.deepEqual(searched!.summary?.search, { seed: 2, step: "debug", node: 7 });
    assert.deepEqual(searched!.summary?.reward.milestonesReached, ["imports", "data_loaded", "model_trained"]);
    assert.equal(improve!.parentId, 2);
    assert.equal(plain!.summary?.search, undefined);
    assert.deepEqual([running!.summary, running!.finishedAt, running!.problem], [null, null, null]);
    // Nothing but the summary's fields: the program's output and the instrumentation stay in the record.
    assert.deepEqual(Object.keys(graded!.summary!).sort(), ["execution", "grade", "reward", "scores"]);
  });
});

test("the summaries are what is read, and a summary row that does not read gives way to its full record", () => {
  const dir = join(tempDir("mlerl-summaries-"), "run");
  writeRun(dir);
  const db = new Database(join(dir, "run.sqlite"));
  db.prepare("UPDATE rollout_summaries SET reward = 99 WHERE id = 1").run();
  db.prepare("UPDATE rollout_summaries SET reward = 'high' WHERE id = 2").run();
  db.prepare("UPDATE rollout_summaries SET failure = NULL WHERE id = 3").run();
  db.prepare("UPDATE rollout_summaries SET milestones = 'imports,flying' WHERE id = 4").run();
  db.close();
  readonly(dir, (s) => {
    const overviews = s.rolloutOverviews();
    const records = fromRecords(s);
    assert.equal(overviews[0]!.summary?.reward.reward, 99, "a summary that reads is taken as it is");
    assert.equal(records[0]!.summary?.reward.reward, 0.1 + 0.2);
    assert.deepEqual(overviews.slice(1), records.slice(1));
  });
  // Values that each fit their column but not together (a finished summary without its failure kind).
  const other = join(tempDir("mlerl-summaries-"), "run");
  writeRun(other);
  const db2 = new Database(join(other, "run.sqlite"));
  db2.prepare("UPDATE rollout_summaries SET failure = NULL WHERE id = 3").run();
  db2.prepare("UPDATE rollout_summaries SET score = -5 WHERE id = 1").run();
  db2.close();
  readonly(other, (s) => {
    const overviews = s.rolloutOverviews();
    const records = fromRecords(s);
    assert.equal(overviews[0]!.summary?.reward.score, -5);
    assert.deepEqual(overviews.slice(1), records.slice(1));
  });
});

test("a store written before summaries reads the same from its records, read-only, and is left unchanged", () => {
  const dir = join(tempDir("mlerl-summaries-"), "run");
  writeRun(dir);
  const expected = readonly(dir, (s) => s.rolloutOverviews());
  const report = loadRun(dir);
  withoutSummaries(dir);
  const bytes = readFileSync(join(dir, "run.sqlite"));
  readonly(dir, (s) => assert.deepEqual(s.rolloutOverviews(), expected));
  assert.deepEqual(loadRun(dir), report, "a report reads the same numbers either way");
  assert.equal(summaryRows(dir), null, "a reader never adds the table");
  assert.ok(readFileSync(join(dir, "run.sqlite")).equals(bytes));

  // Reopened for writing (a resumed run), the store fills its summaries in from the records.
  RunStore.open(dir).close();
  assert.equal(summaryRows(dir), 5);
  readonly(dir, (s) => assert.deepEqual(s.rolloutOverviews(), expected));
});

test("a store whose summaries are incomplete is read from its records until a writer completes them", () => {
  const dir = join(tempDir("mlerl-summaries-"), "run");
  writeRun(dir);
  const expected = readonly(dir, (s) => s.rolloutOverviews());
  const db = new Database(join(dir, "run.sqlite"));
  db.prepare("DELETE FROM rollout_summaries WHERE id IN (1, 4)").run();
  db.close();
  readonly(dir, (s) => assert.deepEqual(s.rolloutOverviews(), expected));
  const store = RunStore.open(dir);
  try {
    assert.equal(summaryRows(dir), 5);
    // The writer goes on keeping them: a new rollout and its finish.
    const id = store.startRollout({
      taskId: "t",
      kind: "scratch",
      parentId: null,
      action: { code: "y", policyVersion: 5, payload: null },
      startedAt: 130,
    });
    store.finishRollout(id, records()[1]!, 140);
  } finally {
    store.close();
  }
  readonly(dir, (s) => {
    const overviews = s.rolloutOverviews();
    assert.equal(overviews.length, 6);
    assert.deepEqual(overviews, fromRecords(s));
  });
});

test("an mlerl 0.1 store (flat outcomes, no summaries) reads its migrated records' summaries, before and after a writer opens it", () => {
  const dir = join(tempDir("mlerl-summaries-v1-"), "train-killed");
  cpSync(join(repoRoot(), "test", "fixtures", "runs-v1", "train-killed"), dir, { recursive: true });
  assert.equal(summaryRows(dir), null);
  const expected = readonly(dir, (s) => fromRecords(s));
  assert.ok(expected.some((o) => o.summary !== null));
  readonly(dir, (s) => assert.deepEqual(s.rolloutOverviews(), expected));
  RunStore.open(dir).close();
  assert.equal(summaryRows(dir), expected.length);
  readonly(dir, (s) => assert.deepEqual(s.rolloutOverviews(), expected));
});

test("a reader kept open sees each update a writer records, and the same updates while nothing changed", () => {
  const dir = join(tempDir("mlerl-summaries-"), "run");
  writeRun(dir);
  const writer = RunStore.open(dir);
  const reader = RunStore.openReadonly(dir);
  try {
    assert.deepEqual(reader.updates(), []);
    const stats = UpdateStats.parse({
      version: 1,
      n: 2,
      meanReward: 1,
      meanDt: 5,
      weights: [1, 1],
      advantages: [0.5, -0.5],
      rolloutIds: [1, 2],
      loss: 0.1,
      kl: 0.01,
      stalenessMean: 0,
      stalenessMax: 0,
      extra: {},
    });
    writer.recordUpdate({ version: 1, createdAt: 130, stats, checkpoint: null });
    const once = reader.updates();
    assert.deepEqual(
      once.map((u) => [u.version, u.stats.rolloutIds]),
      [[1, [1, 2]]],
    );
    assert.deepEqual(reader.updates(), once);
    writer.recordUpdate({ version: 2, createdAt: 140, stats: { ...stats, version: 2, rolloutIds: [3, 4] }, checkpoint: null });
    assert.deepEqual(
      reader.updates().map((u) => u.version),
      [1, 2],
    );
  } finally {
    reader.close();
    writer.close();
  }
});
