import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunStore } from "../../src/store/run-store.js";
import { startRedis, type TestRedis } from "../support/redis-server.js";
import { mlerl, startWorker, type TestWorker } from "../support/mlerl-worker.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-queue-same-"));
const dataDir = join(root, "data");
let redis: TestRedis;
const workers: TestWorker[] = [];

before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const w of workers) await w.kill();
  await redis?.stop();
  rmSync(root, { recursive: true, force: true });
});

// Every program is sampled from the initial policy (one batch, scratch prompts, one sampler), so the run's programs
// and their rewards depend only on the seed and the environment, not on which execution finishes first.
const run = (runDir: string, extra: string[]) =>
  mlerl(
    ["--data-dir", dataDir, "train", "--task", "mini-nomad2018-predict-transparent-conductors", "--rollouts", "6", "--batch", "6"]
      .concat([
        "--executors",
        "2",
        "--improve-prob",
        "0",
        "--no-duration-aware",
        "--seed",
        "11",
        "--timeout",
        "90",
        "--run-dir",
        runDir,
        "--json",
      ])
      .concat(extra),
  );

function rollouts(runDir: string) {
  const store = RunStore.openReadonly(runDir);
  try {
    return store.rollouts().map((r) => ({
      id: r.id,
      program: createHash("sha256").update(r.action.code).digest("hex"),
      reward: r.record?.reward.reward ?? null,
      milestones: r.record?.reward.milestonesReached ?? null,
      worker: r.record?.execution.worker ?? null,
    }));
  } finally {
    store.close();
  }
}

test("a train run through the queue with 2 workers gives the local pool's rollouts: same programs, same rewards, each run once", async () => {
  const local = await run(join(root, "local"), []);
  assert.equal(local.status, 0, local.stderr);
  for (const name of ["w1", "w2"]) workers.push(startWorker({ url: redis.url, name, dataDir: join(root, `data-${name}`), slots: 1 }));
  await Promise.all(workers.map((w) => w.waitFor(/slot\(s\) on/)));
  const queued = await run(join(root, "queued"), ["--executor", "queue", "--redis", redis.url]);
  assert.equal(queued.status, 0, queued.stderr);
  const a = rollouts(join(root, "local"));
  const b = rollouts(join(root, "queued"));
  assert.equal(a.length, 6);
  assert.deepEqual(
    b.map(({ id, program, reward, milestones }) => ({ id, program, reward, milestones })),
    a.map(({ id, program, reward, milestones }) => ({ id, program, reward, milestones })),
  );
  assert.ok(a.every((r) => r.worker === "bwrap"));
  assert.ok(
    b.every((r) => r.worker === "w1" || r.worker === "w2"),
    JSON.stringify(b),
  );
  // Each job ran exactly once across the two workers, and the queue kept nothing once the run consumed it.
  const started = workers.flatMap((w) => w.started());
  assert.equal(started.length, 6);
  assert.equal(new Set(started).size, 6);
  assert.match(queued.stderr, /queue \d+ waiting · w1 \d\/1.*ran by/);
  const store = RunStore.openReadonly(join(root, "queued"));
  assert.match(store.getMeta("executor_status") ?? "", /^queue \d+ waiting · w1 [01]\/1 \d+% · w2 [01]\/1 \d+%$/);
  store.close();
});
