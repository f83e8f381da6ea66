import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../../src/store/run-store.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { mlerl, startWorker, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-cmds-"));
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

test("a baseline runs through the queue like training: every execution on the worker, graded here", async () => {
  worker = startWorker({ url: redis.url, name: "b1", dataDir: join(root, "data-b1"), slots: 2 });
  await worker.waitFor(/slot\(s\) on/);
  const runDir = join(root, "random");
  const r = await mlerl(
    [
      "--data-dir",
      join(root, "data"),
      "baseline",
      "random",
      "--task",
      "mini-tabular-playground-series-dec-2021",
      "--budget-executions",
      "3",
    ].concat(["--run-dir", runDir, "--executor", "queue", "--redis", redis.url]),
  );
  assert.equal(r.status, 0, r.stderr);
  const store = RunStore.openReadonly(runDir);
  const rows = store.rollouts();
  store.close();
  assert.equal(rows.length, 3);
  assert.ok(rows.every((row) => row.record?.execution.worker === "b1" && row.record.grade !== null));
  assert.equal(worker.finished().length, 3);
});
