import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { DEFAULT_ENV, type EnvConfig } from "../../src/core/config.js";
import { localIdentity, localSandboxMode, QueueExecutor, queueName, redisTarget } from "../../src/queue/index.js";
import { openEnvironment } from "../../src/rollout/environment.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { startWorker, until, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-sec-"));
const dataDir = join(root, "data");
let redis: TestRedis;
let tlsRedis: TestRedis & { ca?: string };
const workers: TestWorker[] = [];
const mine = localIdentity(localSandboxMode());

before(async () => {
  redis = await startRedis({ password: "pw" });
  tlsRedis = await startRedis({ password: "tls-pw", tls: true });
});
after(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  await redis?.stop();
  await tlsRedis?.stop();
  rmSync(root, { recursive: true, force: true });
});

// Real markers for the import and the load, a forged one, and a copy of whatever marker line it can find in its
// own output (none: the launcher's lines never reach the program).
const FORGER = `import pandas as pd
print("@@mlerl " + "0" * 32 + " model_trained")
df = pd.read_csv("/home/data/train.csv")
print(len(df))
`;

test("through the queue, markers are credited and forgeries refused exactly as locally; the job holds tags, never a nonce", async () => {
  const task = "mini-leaf-classification";
  const open = (env: Partial<EnvConfig>) =>
    openEnvironment({ dataDir, taskIds: [task], env: { ...DEFAULT_ENV, ...env }, reward: null, split: null });
  const local = await open({ executor: "sandbox" });
  const queued = await open({ executor: "queue", redisUrl: redis.url });
  const queue = new Queue(queueName(mine), { connection: redisTarget(redis.url).bull, prefix: "mlerl" });
  try {
    const a = await local.run(task, FORGER, join(root, "local"));
    const pending = queued.run(task, FORGER, join(root, "queued"));
    // Queued with no worker yet: read what Redis holds for it.
    await until(async () => (await queue.getJobCounts("waiting")).waiting === 1, "the job queued");
    const [job] = await queue.getWaiting();
    const raw = JSON.stringify(job!.data);
    assert.doesNotMatch(raw, /(?<![0-9a-f])[0-9a-f]{48}(?![0-9a-f])/, "no nonce-sized secret in the job");
    assert.match(raw, /"markerTags":\[\["[0-9a-f]{32}","imports"\]/);
    assert.doesNotMatch(raw, /"path":"\/|answers|private/);
    workers.push(startWorker({ url: redis.url, name: "m1", dataDir: join(root, "data-m1") }));
    const b = await pending;
    assert.equal(b.execution.worker, "m1");
    assert.deepEqual(b.instrumentation, a.instrumentation);
    assert.ok(a.instrumentation.credited.some((c) => c.milestone === "data_loaded"));
    assert.ok(!a.instrumentation.credited.some((c) => c.milestone === "model_trained"));
    assert.equal(a.instrumentation.rejected, 1);
    assert.equal(b.feedback.output, a.feedback.output);
    assert.doesNotMatch(b.feedback.output, /@@mlerl [0-9a-f]{32} (imports|data_loaded)/);
    assert.equal(b.reward.reward, a.reward.reward);
  } finally {
    await queue.close();
    await local.close();
    await queued.close();
  }
});

test("a job whose public file list climbs out of its directory is refused unrun", async () => {
  const queue = new Queue(queueName(mine), { connection: redisTarget(redis.url).bull, prefix: "mlerl" });
  const w = startWorker({ url: redis.url, name: "p1", dataDir: join(root, "data-p1") });
  workers.push(w);
  try {
    const sha = "0".repeat(64);
    const job = await queue.add("exec", {
      protocol: mine.protocol,
      key: "f".repeat(32),
      attempt: 0,
      coordinator: "mallory",
      code: "print(1)\n",
      data: { hash: sha, files: [{ path: "../../etc/shadow", sha256: sha, size: 1 }], builtin: null },
      limits: {},
      launchStdin: null,
      markerTags: [],
      maxSubmissionBytes: null,
    });
    await until(async () => (await queue.getJobState(job.id!)) === "failed", "the job refused");
    const failed = await queue.getJob(job.id!);
    assert.match(failed!.failedReason, /malformed job: a plain relative path/);
    assert.equal(failed!.attemptsMade, 1, "refused for good, not retried");
    assert.ok(!w.started().includes(job.id!));
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

test("rediss:// with a password: a worker and a coordinator talk over TLS", async () => {
  const env = { MLERL_REDIS_CA: tlsRedis.ca! };
  const w = startWorker({ url: tlsRedis.url, name: "t1", dataDir: join(root, "data-t1"), env });
  workers.push(w);
  await w.waitFor(/slot\(s\) on rediss:\/\/:\*\*\*@127\.0\.0\.1/);
  const ex = await QueueExecutor.open({ target: redisTarget(tlsRedis.url, env), identity: mine });
  try {
    const publicDir = join(root, "tls-task", "prepared", "public");
    mkdirSync(publicDir, { recursive: true });
    writeFileSync(join(publicDir, "a.txt"), "over tls\n");
    const r = await ex.run({ code: "print(open('/home/data/a.txt').read(), end='')\n", publicDir, outDir: join(root, "tls-out") });
    assert.equal(r.stdout.text, "over tls\n");
    assert.equal(r.worker, "t1");
  } finally {
    await ex.close();
  }
  // Without the CA the certificate is not trusted: the connection is refused, naming the URL.
  await assert.rejects(
    QueueExecutor.open({ target: redisTarget(tlsRedis.url, {}), identity: mine }),
    /cannot reach the job queue's Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*(self-signed|certificate)/,
  );
});
