import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { localIdentity, localSandboxMode, QueueExecutor, queueName, redisTarget } from "../../src/queue/index.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { startWorker, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-kill-"));
const publicDir = join(root, "task", "prepared", "public");
let redis: TestRedis;
let ex: QueueExecutor;
const workers: TestWorker[] = [];

before(async () => {
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  redis = await startRedis();
  ex = await QueueExecutor.open({ target: redisTarget(redis.url), identity: localIdentity(localSandboxMode()) });
});
after(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  await ex?.close();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

const worker = (name: string) => {
  const w = startWorker({ url: redis.url, name, dataDir: join(root, `data-${name}`), slots: 1, stallSec: 2 });
  workers.push(w);
  return w;
};

// Slow enough that the first worker is caught mid-job; prints, and writes a submission the coordinator gets back.
const PROGRAM = `import time, pathlib
print(open("/home/data/train.csv").read().splitlines()[1])
time.sleep(5)
pathlib.Path("/home/submission/submission.csv").write_text("id,y\\n1,0.5\\n")
print("done")
`;

async function jobCounts(): Promise<Record<string, number>> {
  const q = new Queue(queueName(ex.identity), { connection: redisTarget(redis.url).bull, prefix: "mlerl" });
  try {
    return await q.getJobCounts("waiting", "active", "delayed", "completed", "failed", "prioritized");
  } finally {
    await q.close();
  }
}

test("a worker killed with kill -9 mid-job: the job runs again on another worker and its result comes back once", async () => {
  const w1 = worker("k1");
  await w1.waitFor(/slot\(s\) on/);
  const outDir = join(root, "out-kill");
  const result = ex.run({ code: PROGRAM, publicDir, outDir, limits: { timeoutSec: 60 } });
  await w1.waitFor(/job \S+ started/);
  await w1.kill("SIGKILL");
  const w2 = worker("k2");
  const r = await result;
  assert.equal(r.worker, "k2");
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.equal(r.stdout.text, "1,2\ndone\n");
  assert.equal(readFileSync(join(outDir, "submission.csv"), "utf8"), "id,y\n1,0.5\n");
  assert.deepEqual(w1.started(), w2.started(), "the same job, once on each worker");
  assert.equal(w2.finished().length, 1);
  assert.equal(w1.finished().length, 0);
  assert.deepEqual(
    Object.values(await jobCounts()).reduce((a, b) => a + b, 0),
    0,
    "the consumed job is gone from Redis",
  );
  await w2.kill();
});

test("a stalled worker that finishes late: its completion is refused, the result of the worker that took over stands", async () => {
  const w3 = worker("s3");
  await w3.waitFor(/slot\(s\) on/);
  const outDir = join(root, "out-stall");
  const result = ex.run({ code: PROGRAM, publicDir, outDir, limits: { timeoutSec: 60 } });
  await w3.waitFor(/job \S+ started/);
  // Frozen, it stops renewing its lock; its program runs on and finishes meanwhile.
  w3.proc.kill("SIGSTOP");
  const w4 = worker("s4");
  const r = await result;
  assert.equal(r.worker, "s4");
  assert.equal(r.exitCode, 0);
  w3.proc.kill("SIGCONT");
  // The late worker reports back (its program did finish) but nothing of it is taken: no second result, no job left.
  await w3.waitFor(/job \S+ finished/);
  await new Promise((res) => setTimeout(res, 1000));
  assert.deepEqual(w3.started(), w4.started());
  assert.deepEqual(
    Object.values(await jobCounts()).reduce((a, b) => a + b, 0),
    0,
  );
  assert.equal(JSON.parse(readFileSync(join(outDir, "result.json"), "utf8")).worker, "s4");
  await w4.kill();
  await w3.kill();
});

test("a worker stopped with SIGTERM mid-job: its program is killed and the job runs again on another worker", async () => {
  const w5 = worker("t5");
  await w5.waitFor(/slot\(s\) on/);
  const result = ex.run({ code: PROGRAM, publicDir, outDir: join(root, "out-term"), limits: { timeoutSec: 60 } });
  await w5.waitFor(/job \S+ started/);
  await w5.kill("SIGTERM");
  assert.ok(w5.lines.some((l) => /stopping: cancelling running programs/.test(l)));
  const w6 = worker("t6");
  const r = await result;
  assert.equal(r.worker, "t6");
  assert.equal(r.exitCode, 0);
  assert.equal(r.stdout.text, "1,2\ndone\n");
  assert.equal(w6.started().length, 1);
  assert.equal(
    Object.values(await jobCounts()).reduce((a, b) => a + b, 0),
    0,
  );
  await w6.kill();
});
