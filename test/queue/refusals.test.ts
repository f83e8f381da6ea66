import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { COORDINATORS_KEY, PREFIX, WORKERS_KEY, type CoordinatorInfo, type WorkerInfo } from "../../src/queue/protocol.js";
import { localIdentity, localSandboxMode, QueueExecutor, queueName, redisTarget, type Identity } from "../../src/queue/index.js";
import { freePort, startRedis, type TestRedis } from "../support/redis-server.js";
import { mlerl, startWorker, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-refuse-"));
const publicDir = join(root, "task", "prepared", "public");
let redis: TestRedis;
let client: Redis;
const workers: TestWorker[] = [];
const mine = localIdentity(localSandboxMode());

before(async () => {
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  redis = await startRedis({ password: "s3cret pass" });
  client = new Redis(redis.url);
});
after(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  client?.disconnect();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

test("an unreachable Redis is one error naming the URL (password hidden), for the coordinator and for a worker", async () => {
  const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
  for (const args of [
    ["train", "--executor", "queue", "--redis", url, "--rollouts", "1", "--run-dir", join(root, "unreachable")],
    ["worker", "--redis", url],
    [
      "baseline",
      "random",
      "--task",
      "mini-leaf-classification",
      "--budget-executions",
      "1",
      "--run-dir",
      join(root, "bl"),
      "--executor",
      "queue",
      "--redis",
      url,
    ],
  ]) {
    const r = await mlerl(["--data-dir", join(root, "data"), ...args], { timeoutMs: 60_000 });
    assert.notEqual(r.status, 0);
    const error = r.stderr.split("\n").filter((l) => l.startsWith("mlerl: error:"));
    assert.equal(error.length, 1, r.stderr);
    assert.match(
      error[0]!,
      new RegExp(`cannot reach the job queue's Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+: connect ECONNREFUSED`),
    );
    assert.doesNotMatch(r.stderr, /hunter2/);
  }
  const wrong = await mlerl(["worker", "--redis", redis.url.replace("s3cret%20pass", "nope")], { timeoutMs: 60_000 });
  assert.match(wrong.stderr, /WRONGPASS[^\n]*\n\s*fix: give the server's password/);
  const scheme = await mlerl(["worker", "--redis", "http://127.0.0.1:6379"], { timeoutMs: 60_000 });
  assert.match(scheme.stderr, /the scheme must be redis:\/\/ or rediss:\/\/ \(TLS\)/);
});

const fakeWorker = (name: string, identity: Identity): WorkerInfo => ({
  name,
  host: "elsewhere",
  identity,
  slots: 1,
  busy: 0,
  busyMs: 0,
  jobs: 0,
  since: Date.now(),
  seen: Date.now(),
});

test("a coordinator refuses workers of another protocol, agent venv or sandbox mode, naming the difference and the fix", async () => {
  await client.hset(WORKERS_KEY, "old-proto", JSON.stringify(fakeWorker("old-proto", { ...mine, protocol: "0.deadbeef" })));
  await client.hset(WORKERS_KEY, "other-venv", JSON.stringify(fakeWorker("other-venv", { ...mine, venv: "0123456789ab" })));
  const otherMode = mine.sandbox === "root" ? "userns" : "root";
  await client.hset(WORKERS_KEY, "other-mode", JSON.stringify(fakeWorker("other-mode", { ...mine, sandbox: otherMode })));
  const lines: string[] = [];
  const ex = await QueueExecutor.open({ target: redisTarget(redis.url), identity: mine, log: (l) => lines.push(l) });
  await ex.close();
  const text = lines.join("\n");
  assert.match(
    text,
    /worker old-proto on elsewhere is refused: queue protocol 0\.deadbeef on the worker, 1\.[0-9a-f]{8} on the coordinator; fix: run the same mlerl version/,
  );
  assert.match(
    text,
    new RegExp(
      `worker other-venv on elsewhere is refused: agent venv 0123456789ab on the worker, ${mine.venv} on the coordinator; fix: use the same python/requirements-agent.txt`,
    ),
  );
  assert.match(
    text,
    new RegExp(
      `worker other-mode on elsewhere is refused: sandbox mode ${otherMode} on the worker, ${mine.sandbox} required by the coordinator; fix: `,
    ),
  );
  assert.equal(ex.status().workers.length, 0, "refused workers are not counted as the queue's workers");
  await client.del(WORKERS_KEY);
});

test("a worker says why it takes no jobs of a coordinator that differs", async () => {
  const coordinator: CoordinatorInfo = { name: "far-away-1", identity: { ...mine, venv: "ba9876543210" }, seen: Date.now() };
  await client.hset(COORDINATORS_KEY, coordinator.name, JSON.stringify(coordinator));
  const w = startWorker({ url: redis.url, name: "picky", dataDir: join(root, "data-picky") });
  workers.push(w);
  const line = await w.waitFor(/refusing the jobs of coordinator far-away-1/);
  assert.match(
    line,
    new RegExp(`agent venv ${mine.venv} on the worker, ba9876543210 on the coordinator; fix: use the same python/requirements-agent.txt`),
  );
  await w.kill();
  await client.hdel(COORDINATORS_KEY, coordinator.name);
});

test("a result that is not a valid execution is refused (zod), retried, and then stops the rollout with the reason", async () => {
  const ex = await QueueExecutor.open({ target: redisTarget(redis.url), identity: mine });
  // A worker of the right identity that answers nonsense.
  const liar = new Worker(queueName(mine), async () => ({ worker: "liar", exitCode: "zero" }), {
    connection: redisTarget(redis.url).bull,
    prefix: PREFIX,
  });
  try {
    await assert.rejects(
      ex.run({ code: "print(1)\n", publicDir, outDir: join(root, "liar") }),
      /queue job [0-9a-f]{32}-2 failed on its workers: the worker's result is malformed/,
    );
  } finally {
    await liar.close();
    await ex.close();
  }
});
