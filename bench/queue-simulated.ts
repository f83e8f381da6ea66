// The simulated executor through the job queue at 1,000 slots: JOBS executions (default 5000) whose durations are
// lognormal (median MEDIAN_SEC = 4, σ = 0.5) and cost nothing, run by 4 in-process queue workers of 250 slots on a
// real redis-server, against the same durations slept in-process. Reports orchestration CPU per execution (both
// sides of the queue, since they share this process) and slot utilisation (busy slot-seconds / slots × wall time).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localIdentity, localSandboxMode, QueueExecutor, QueueWorker, redisTarget } from "../src/queue/index.js";
import type { ExecRequest, ExecResult, Executor } from "../src/sandbox/executor.js";
import { startRedis } from "../test/support/redis-server.js";

const slots = Number(process.env.SLOTS ?? 1000);
const jobs = Number(process.env.JOBS ?? 5000);
const medianSec = Number(process.env.MEDIAN_SEC ?? 4);
const WORKERS = 4;

/** Sleeps for the duration written in the program (`# sleep S`): an execution that costs no CPU. */
class SleepExecutor implements Executor {
  readonly name = "sleep";
  async run(req: ExecRequest): Promise<ExecResult> {
    const sec = Number(/# sleep ([0-9.]+)/.exec(req.code)?.[1] ?? "0");
    await new Promise((r) => setTimeout(r, sec * 1000));
    const empty = { text: "", truncated: false, totalBytes: 0 };
    return {
      exitCode: 0,
      signal: null,
      timedOut: false,
      killed: null,
      wallSec: sec,
      cpuSec: 0,
      peakMemoryMb: null,
      stdout: empty,
      stderr: empty,
      submissionPath: null,
      summary: `slept ${sec} s`,
    };
  }
}

/** Seeded lognormal durations, the same for both runs. */
function durations(): number[] {
  let s = 12345;
  const u = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Array.from({ length: jobs }, () => medianSec * Math.exp(0.5 * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u())));
}

async function drive(ex: Executor, publicDir: string, dir: string, ds: number[]): Promise<{ wall: number; cpuMs: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (next < ds.length) {
        const i = next++;
        const r = await ex.run({ code: `# sleep ${ds[i]!.toFixed(3)}\n`, publicDir, outDir: join(dir, "out", String(i)) });
        if (r.exitCode !== 0) throw new Error(r.summary);
      }
    }),
  );
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  return { wall, cpuMs: (c.user + c.system) / 1000 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-qsim-"));
  const publicDir = join(dir, "task", "prepared", "public");
  mkdirSync(publicDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  const ds = durations();
  const busy = ds.reduce((a, b) => a + Number(b.toFixed(3)), 0);
  const redis = await startRedis();
  const target = redisTarget(redis.url);
  const identity = localIdentity(localSandboxMode());
  const workers = Array.from(
    { length: WORKERS },
    (_, i) =>
      new QueueWorker({
        target,
        name: `sim-${i}`,
        slots: slots / WORKERS,
        executor: new SleepExecutor(),
        identity,
        workDir: join(dir, `w${i}`),
        localCopy: async () => null,
        stallSec: 30,
        log: () => {},
      }),
  );
  const queue = await QueueExecutor.open({ target, identity });
  try {
    for (const w of workers) await w.start();
    const local = await drive(new SleepExecutor(), publicDir, dir, ds);
    const queued = await drive(queue, publicDir, dir, ds);
    const util = (r: { wall: number }) => busy / (slots * r.wall);
    console.log(`queue-simulated: ${jobs} simulated executions (lognormal, median ${medianSec} s, σ 0.5), ${slots} slots`);
    console.log(
      `  in-process   wall ${local.wall.toFixed(2)} s  utilisation ${util(local).toFixed(3)}  CPU ${(local.cpuMs / jobs).toFixed(3)} ms per execution`,
    );
    console.log(
      `  job queue    wall ${queued.wall.toFixed(2)} s  utilisation ${util(queued).toFixed(3)}  CPU ${(queued.cpuMs / jobs).toFixed(3)} ms per execution (coordinator and ${WORKERS} workers of ${slots / WORKERS} slots, one process)`,
    );
    console.log(
      `  utilisation ratio ${(util(queued) / util(local)).toFixed(3)}; orchestration cost added ${((queued.cpuMs - local.cpuMs) / jobs).toFixed(3)} ms CPU per execution`,
    );
  } finally {
    await queue.close();
    for (const w of workers) await w.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
