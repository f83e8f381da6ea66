// Per-job overhead of the job queue: a trivial program run one at a time through the local bubblewrap executor
// and through the queue (a real redis-server on 127.0.0.1, one `mlerl worker` process with one slot, the same
// sandbox behind it), interleaved in blocks so machine load affects both alike. Target: < 50 ms added per job.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localIdentity, localSandboxMode, QueueExecutor, redisTarget } from "../src/queue/index.js";
import { BwrapExecutor } from "../src/sandbox/bwrap-executor.js";
import type { Executor } from "../src/sandbox/executor.js";
import { startRedis } from "../test/support/redis-server.js";
import { startWorker } from "../test/support/mlerl-worker.js";

const jobs = Number(process.env.JOBS ?? 200);
const block = 10;
const PROGRAM = 'print("ok")\n';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-queue-"));
  const publicDir = join(dir, "task", "prepared", "public");
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  const redis = await startRedis();
  const worker = startWorker({ url: redis.url, name: "bench", dataDir: join(dir, "worker"), slots: 1, stallSec: 30 });
  const local = new BwrapExecutor();
  let queue: QueueExecutor | null = null;
  try {
    await worker.waitFor(/slot\(s\) on/);
    queue = await QueueExecutor.open({ target: redisTarget(redis.url), identity: localIdentity(localSandboxMode()) });
    const times: Record<"local" | "queue", number[]> = { local: [], queue: [] };
    let n = 0;
    const once = async (ex: Executor, kind: "local" | "queue") => {
      const t0 = process.hrtime.bigint();
      const r = await ex.run({ code: PROGRAM, publicDir, outDir: join(dir, "out", String(n++)) });
      if (r.exitCode !== 0) throw new Error(`${kind} run failed: ${r.summary}`);
      times[kind].push(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    // Warm-up of each (page cache, first bwrap start, the public files' upload).
    await once(local, "local");
    await once(queue, "queue");
    times.local = [];
    times.queue = [];
    for (let done = 0; done < jobs; done += block) {
      const order: Array<[Executor, "local" | "queue"]> =
        (done / block) % 2 === 0
          ? [
              [local, "local"],
              [queue, "queue"],
            ]
          : [
              [queue, "queue"],
              [local, "local"],
            ];
      for (const [ex, kind] of order) for (let i = 0; i < block; i++) await once(ex, kind);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const added = mean(times.queue) - mean(times.local);
    console.log(`queue-overhead: ${jobs} trivial jobs each way, one at a time, interleaved in blocks of ${block}`);
    console.log(`  local pool   mean ${mean(times.local).toFixed(1)} ms  median ${median(times.local).toFixed(1)} ms per job`);
    console.log(`  job queue    mean ${mean(times.queue).toFixed(1)} ms  median ${median(times.queue).toFixed(1)} ms per job`);
    console.log(
      `  added per job: ${added.toFixed(1)} ms mean, ${(median(times.queue) - median(times.local)).toFixed(1)} ms median (ratio ${(mean(times.queue) / mean(times.local)).toFixed(2)}); target < 50 ms`,
    );
  } finally {
    await queue?.close();
    await worker.kill();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
