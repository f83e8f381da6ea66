// Throughput of the job queue with 1, 2 and 4 `mlerl worker` processes against the local pool with the same total
// slots (SLOTS, default 4), on this machine: JOBS programs (default 24) that each sleep SLEEP seconds (default 1),
// so the machine's 2 cores are not the bottleneck and what is measured is orchestration. The local pool runs
// first and last; its mean is the reference. Target: the queue within 10% of the local pool's throughput.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localIdentity, localSandboxMode, QueueExecutor, redisTarget } from "../src/queue/index.js";
import { BwrapExecutor } from "../src/sandbox/bwrap-executor.js";
import type { Executor } from "../src/sandbox/executor.js";
import { startRedis } from "../test/support/redis-server.js";
import { startWorker, type TestWorker } from "../test/support/mlerl-worker.js";

const slots = Number(process.env.SLOTS ?? 4);
const jobs = Number(process.env.JOBS ?? 24);
const sleep = Number(process.env.SLEEP ?? 1);
const PROGRAM = `import time\ntime.sleep(${sleep})\nprint("ok")\n`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-qtp-"));
  const publicDir = join(dir, "task", "prepared", "public");
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  const redis = await startRedis();
  const queue = await QueueExecutor.open({ target: redisTarget(redis.url), identity: localIdentity(localSandboxMode()) });
  let n = 0;
  /** Jobs per second with `slots` executions in flight at all times. */
  const throughput = async (ex: Executor): Promise<number> => {
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: slots }, async () => {
        while (next < jobs) {
          next++;
          const r = await ex.run({ code: PROGRAM, publicDir, outDir: join(dir, "out", String(n++)) });
          if (r.exitCode !== 0) throw new Error(`run failed: ${r.summary}`);
        }
      }),
    );
    return jobs / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const local = new BwrapExecutor();
  const results: Array<[string, number]> = [];
  try {
    await local.run({ code: 'print("warm")\n', publicDir, outDir: join(dir, "warm") });
    const first = await throughput(local);
    for (const k of [1, 2, 4].filter((k) => slots % k === 0)) {
      const workers: TestWorker[] = [];
      for (let i = 0; i < k; i++)
        workers.push(startWorker({ url: redis.url, name: `b${k}-${i}`, dataDir: join(dir, "worker"), slots: slots / k, stallSec: 30 }));
      await Promise.all(workers.map((w) => w.waitFor(/slot\(s\) on/)));
      await queue.run({ code: 'print("warm")\n', publicDir, outDir: join(dir, `warm-${k}`) });
      results.push([`${k} worker${k > 1 ? "s" : ""} × ${slots / k} slot${slots / k > 1 ? "s" : ""}`, await throughput(queue)]);
      for (const w of workers) await w.kill();
    }
    const last = await throughput(local);
    const ref = (first + last) / 2;
    console.log(`queue-throughput: ${jobs} programs of ${sleep} s, ${slots} slots in total`);
    console.log(`  local pool, ${slots} slots   ${ref.toFixed(3)} jobs/s (first ${first.toFixed(3)}, last ${last.toFixed(3)})`);
    for (const [label, tp] of results) console.log(`  queue, ${label.padEnd(18)} ${tp.toFixed(3)} jobs/s  ratio ${(tp / ref).toFixed(3)}`);
    console.log("  target: ratio ≥ 0.90");
  } finally {
    await queue.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
