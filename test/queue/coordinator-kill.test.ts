import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { RunStore } from "../../src/store/run-store.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { mlerl, startWorker, until, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-coord-"));
const dataDir = join(root, "data");
let redis: TestRedis;
let worker: TestWorker | null = null;

before(async () => {
  redis = await startRedis();
});
after(async () => {
  await worker?.kill();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("a coordinator killed with kill -9: --resume takes the results that finished while it was down, nothing runs twice", async () => {
  worker = startWorker({ url: redis.url, name: "c1", dataDir: join(root, "data-c1"), slots: 2 });
  await worker.waitFor(/slot\(s\) on/);
  const runDir = join(root, "run");
  const args = [
    "--data-dir",
    dataDir,
    "train",
    "--task",
    "mini-leaf-classification",
    "--rollouts",
    "6",
    "--batch",
    "3",
    "--executors",
    "2",
  ];
  args.push("--executor", "queue", "--redis", redis.url, "--timeout", "90", "--seed", "4");
  let coordinator: ChildProcess | null = null;
  const first = mlerl([...args, "--run-dir", runDir], { onSpawn: (p) => (coordinator = p) });
  // Two executions running on the worker, then the coordinator dies without a word.
  await until(() => worker!.started().length >= 2, "two jobs running on the worker");
  (coordinator as ChildProcess | null)?.kill("SIGKILL");
  const killed = await first;
  assert.equal(killed.signal, "SIGKILL");
  const startedBefore = worker.started();
  // Both finish on the worker while nobody waits for them.
  await until(() => startedBefore.every((id) => worker!.finished().includes(id)), "both jobs finished");
  const resumed = await mlerl(["--data-dir", dataDir, "train", "--resume", runDir, "--json"]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const store = RunStore.openReadonly(runDir);
  const rows = store.rollouts();
  store.close();
  assert.equal(rows.filter((r) => r.status !== "running").length, rows.length);
  assert.ok(rows.filter((r) => r.record !== null).length >= 6);
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
  // The jobs that finished while the coordinator was down were taken as they were, not run again.
  const started = worker.started();
  assert.equal(new Set(started).size, started.length, `a job ran twice:\n${worker.lines.join("\n")}`);
  assert.equal(started.length, rows.filter((r) => r.record !== null).length);
  assert.ok(rows.every((r) => r.record?.execution.worker === "c1"));
});
