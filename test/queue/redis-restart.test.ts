import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localIdentity, localSandboxMode, QueueExecutor, redisTarget } from "../../src/queue/index.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { startWorker, until, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-redis-"));
const publicDir = join(root, "task", "prepared", "public");
let redis: TestRedis;
let ex: QueueExecutor;
let worker: TestWorker | null = null;

before(async () => {
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  redis = await startRedis();
  ex = await QueueExecutor.open({ target: redisTarget(redis.url), identity: localIdentity(localSandboxMode()) });
});
after(async () => {
  await worker?.kill("SIGKILL");
  await ex?.close();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

const program = (n: number) => `import time, pathlib
time.sleep(4)
pathlib.Path("/home/submission/submission.csv").write_text("id,y\\n${n},1\\n")
print("job ${n}")
`;

test("Redis killed and restarted on its append-only file: a running and a queued job both come back, once each", async () => {
  // Locks outlast the restart, so the running job keeps its worker.
  worker = startWorker({ url: redis.url, name: "r1", dataDir: join(root, "data-r1"), slots: 1, stallSec: 20 });
  await worker.waitFor(/slot\(s\) on/);
  const results = [1, 2].map((n) => ex.run({ code: program(n), publicDir, outDir: join(root, `out-${n}`), limits: { timeoutSec: 60 } }));
  await until(() => worker!.started().length === 1, "the first job running");
  await redis.restart();
  const [a, b] = await Promise.all(results);
  assert.equal(a!.stdout.text, "job 1\n");
  assert.equal(b!.stdout.text, "job 2\n");
  assert.ok(a!.submissionPath && b!.submissionPath);
  assert.equal(worker.started().length, 2);
  assert.equal(new Set(worker.started()).size, 2);
});
