import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { localIdentity, localSandboxMode, QueueExecutor, queueName, redisTarget } from "../../src/queue/index.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { startWorker, until, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-cancel-"));
const publicDir = join(root, "task", "prepared", "public");
let redis: TestRedis;
let ex: QueueExecutor;
let queue: Queue;
let worker: TestWorker | null = null;

before(async () => {
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  redis = await startRedis();
  ex = await QueueExecutor.open({ target: redisTarget(redis.url), identity: localIdentity(localSandboxMode()) });
  queue = new Queue(queueName(ex.identity), { connection: redisTarget(redis.url).bull, prefix: "mlerl" });
});
after(async () => {
  await worker?.kill("SIGKILL");
  await queue?.close();
  await ex?.close();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

const total = async () =>
  Object.values(await queue.getJobCounts("waiting", "active", "delayed", "completed", "failed")).reduce((a, b) => a + b, 0);

test("stopping a rollout whose job is still queued removes the job", async () => {
  const ac = new AbortController();
  const r = ex.run({ code: "print(1)\n", publicDir, outDir: join(root, "q"), signal: ac.signal });
  await until(async () => (await queue.getJobCounts("waiting")).waiting === 1, "the job queued");
  ac.abort();
  const res = await r;
  assert.equal(res.killed, "aborted");
  assert.equal(await total(), 0);
});

test("stopping a rollout whose job is running kills the program on its worker, and the job is gone", async () => {
  worker = startWorker({ url: redis.url, name: "x1", dataDir: join(root, "data-x1"), slots: 1 });
  await worker.waitFor(/slot\(s\) on/);
  const ac = new AbortController();
  const r = ex.run({
    code: "import time\ntime.sleep(120)\n",
    publicDir,
    outDir: join(root, "a"),
    signal: ac.signal,
    limits: { timeoutSec: 300 },
  });
  await until(() => worker!.started().length === 1, "the job running");
  ac.abort();
  const res = await r;
  assert.equal(res.killed, "aborted");
  await worker.waitFor(/cancelled by its coordinator/);
  await worker.waitFor(/job \S+ finished: .*abort/i);
  await until(async () => (await total()) === 0, "no job left");
});
