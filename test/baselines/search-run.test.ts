import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runBaseline } from "../../src/baselines/search-run.js";
import { UserError } from "../../src/errors.js";
import { EvalResult } from "../../src/eval/result.js";
import type { RewardBreakdown, SearchStep } from "../../src/core/rollout.js";
import { reportScoreOf } from "../../src/core/rollout.js";
import { RunStore, type StoredRollout } from "../../src/store/run-store.js";
import { CRASHING_PROGRAM, ScriptedSampler, TASK, constantProgram, preparedDataDir, tempDir } from "../eval/fixtures.js";

const dataDir = await preparedDataDir();

/** What a baseline stores per execution: the reward breakdown plus the search's seed and step. */
type StoredOutcome = RewardBreakdown & Pick<SearchStep, "seed" | "step">;

function readRun(runDir: string): { meta: (k: string) => string | undefined; rows: Array<StoredRollout & { outcome: StoredOutcome }> } {
  const store = RunStore.openReadonly(runDir);
  try {
    const rows = store.rollouts().map((r) => {
      assert.ok(r.record, `rollout ${r.id} has a readable record (${r.problem})`);
      assert.ok(r.record.search, `rollout ${r.id} records its search step`);
      assert.equal(r.record.execution.wallSec, r.record.reward.wallSec);
      // Reports and picks show the report split's score; the reward saw the reward split's.
      assert.ok(r.record.scores, `rollout ${r.id} is scored on both splits`);
      return {
        ...r,
        outcome: { ...r.record.reward, score: reportScoreOf(r.record), seed: r.record.search.seed, step: r.record.search.step },
      };
    });
    const meta = new Map(["method", "label", "config", "elapsed_sec", "clock"].map((k) => [k, store.getMeta(k)]));
    return { meta: (k) => meta.get(k), rows };
  } finally {
    store.close();
  }
}

test("random search: every execution is a stored rollout, the budget holds, the pick is the best validation metric", async () => {
  const runDir = join(tempDir("mlerl-random-run-"), "run");
  const result = await runBaseline({
    method: "random",
    taskIds: [TASK],
    dataDir,
    runDir,
    budget: { executions: 3 },
    executors: 2,
    env: { timeoutSec: 20 },
  });
  const { meta, rows } = readRun(runDir);
  assert.equal(meta("method"), "random");
  assert.match(meta("label") ?? "", /random/);
  assert.equal(JSON.parse(meta("config") ?? "{}").budget.executions, 3);
  assert.ok(Number(meta("elapsed_sec")) > 0);
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r.status, "finished");
    assert.equal(r.kind, "scratch");
    assert.equal(r.outcome.step, "random");
    assert.equal(r.outcome.seed, 0);
    assert.ok(r.startedAt >= 0 && r.finishedAt !== null && r.finishedAt >= r.startedAt);
    assert.match(readFileSync(join(runDir, "rollouts", String(r.id), "program.py"), "utf8"), /# ---- model\./);
  }
  assert.deepEqual(EvalResult.parse(JSON.parse(readFileSync(join(runDir, "eval.json"), "utf8"))), result);
  const [attempt] = result.tasks[0]!.attempts;
  assert.ok(attempt);
  // The pick, recomputed from the stored rollouts: lowest printed metric among valid ones, else the first valid one.
  const eligible = rows.filter((r) => r.outcome.validSubmission && r.outcome.validationMetric !== null);
  const expected =
    eligible.length > 0
      ? eligible.reduce((a, b) => (b.outcome.validationMetric! < a.outcome.validationMetric! ? b : a))
      : rows.find((r) => r.outcome.validSubmission);
  assert.equal(attempt.valid, expected !== undefined);
  assert.equal(attempt.testScore, expected?.outcome.score ?? null);
  assert.equal(
    attempt.wallSec,
    rows.reduce((a, r) => a + r.outcome.wallSec, 0),
  );
});

test("AIDE on a scripted sampler in the real environment: five drafts, then debug/improve steps; the pick ignores test scores", async () => {
  const runDir = join(tempDir("mlerl-aide-run-"), "run");
  const drafts = [
    constantProgram("mean", 0.5),
    CRASHING_PROGRAM,
    constantProgram(3.0, 0.01),
    CRASHING_PROGRAM,
    constantProgram("mean", 0.3),
  ];
  const sampler = new ScriptedSampler((req, i) => {
    if (req.kind === "scratch") return drafts[i] ?? constantProgram("mean", 0.9);
    // Debugging a crash gives a valid program without a metric; improving gives a worse-looking metric.
    return req.previous.failure === "none" ? constantProgram("mean", 0.05) : constantProgram("mean", null);
  });
  const result = await runBaseline({
    method: "aide",
    taskIds: [TASK],
    dataDir,
    runDir,
    budget: { executions: 7 },
    executors: 1,
    env: { timeoutSec: 20 },
    sampler,
    label: "scripted AIDE",
  });
  const { meta, rows } = readRun(runDir);
  assert.equal(meta("method"), "aide");
  assert.equal(meta("label"), "scripted AIDE");
  assert.equal(rows.length, 7);
  assert.deepEqual(
    rows.map((r) => r.kind),
    ["scratch", "scratch", "scratch", "scratch", "scratch", "improve", "improve"],
  );
  assert.deepEqual(
    rows.slice(0, 5).map((r) => r.outcome.step),
    ["draft", "draft", "draft", "draft", "draft"],
  );
  for (const r of rows.slice(5)) {
    assert.ok(["debug", "improve"].includes(r.outcome.step));
    const parent = rows.find((p) => p.id === r.parentId);
    assert.ok(parent, "a debug or improve step names its parent rollout");
    // AIDE debugs buggy nodes and improves the best good one (the third draft, which printed 0.01).
    if (r.outcome.step === "debug") assert.equal(parent.outcome.validSubmission && parent.outcome.validationMetric !== null, false);
    else assert.equal(parent.outcome.validationMetric, 0.01);
  }
  const far = rows[2]!.outcome;
  const bestTest = Math.min(...rows.filter((r) => r.outcome.score !== null).map((r) => r.outcome.score!));
  assert.ok(far.score! > bestTest, "the precondition: the best-looking program has a worse test score than another");
  const [attempt] = result.tasks[0]!.attempts;
  assert.equal(attempt?.validationMetric, 0.01);
  assert.equal(attempt?.testScore, far.score);
  assert.equal(attempt?.selected, "scratch");
});

test("a minutes budget stops the programs still running at the deadline, and no new one starts", async () => {
  const runDir = join(tempDir("mlerl-aide-deadline-"), "run");
  const sampler = new ScriptedSampler(() => "import time\ntime.sleep(120)\n");
  const result = await runBaseline({
    method: "aide",
    taskIds: [TASK],
    dataDir,
    runDir,
    budget: { minutes: 0.05 },
    executors: 2,
    env: { timeoutSec: 100 },
    sampler,
  });
  const { rows } = readRun(runDir);
  assert.equal(rows.length, 2);
  for (const r of rows) assert.equal(r.outcome.failureKind, "killed", "stopped by the budget, not by the 100 s deadline");
  assert.deepEqual(
    result.tasks[0]!.attempts.map((a) => [a.selected, a.valid]),
    [[null, false]],
  );
});

test("user mistakes: no budget, a run dir that already holds a run", async () => {
  const runDir = join(tempDir("mlerl-baseline-err-"), "run");
  await assert.rejects(
    runBaseline({ method: "random", taskIds: [TASK], dataDir, runDir, budget: {} }),
    (e: unknown) => e instanceof UserError && /budget/.test(e.message),
  );
  RunStore.open(runDir).close();
  await assert.rejects(
    runBaseline({ method: "random", taskIds: [TASK], dataDir, runDir, budget: { executions: 1 } }),
    (e: unknown) => e instanceof UserError && /already holds a run/.test(e.message),
  );
});

test("an interrupted baseline starts again only when asked; a finished one is never overwritten", async () => {
  const runDir = join(tempDir("mlerl-baseline-restart-"), "run");
  const store = RunStore.open(runDir);
  store.setMeta("method", "aide");
  store.startRollout({
    taskId: TASK,
    kind: "scratch",
    parentId: null,
    action: { code: "", policyVersion: 0, payload: null },
    startedAt: 0,
  });
  store.close();
  const sampler = new ScriptedSampler(() => constantProgram("mean", 0.5));
  const opts = {
    method: "aide" as const,
    taskIds: [TASK],
    dataDir,
    runDir,
    budget: { executions: 1 },
    executors: 1,
    env: { timeoutSec: 20 },
    sampler,
  };
  await assert.rejects(
    runBaseline(opts),
    (e: unknown) => e instanceof UserError && /interrupted run/.test(e.message) && /--restart/.test(e.hint ?? ""),
  );
  await assert.rejects(
    runBaseline({ ...opts, method: "random", restart: true }),
    (e: unknown) => e instanceof UserError && /method 'aide'/.test(e.message),
  );
  const result = await runBaseline({ ...opts, restart: true });
  const { rows } = readRun(runDir);
  assert.equal(rows.length, 1, "the interrupted run's rollout is gone");
  assert.equal(rows[0]!.status, "finished");
  assert.equal(result.tasks[0]!.attempts[0]!.validationMetric, 0.5);
  await assert.rejects(runBaseline({ ...opts, restart: true }), (e: unknown) => e instanceof UserError && /a finished run/.test(e.message));
});
