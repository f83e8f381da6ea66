import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { dataDirOf } from "../options.js";

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} ${v}: expected a whole number ≥ 1`, `e.g. ${flag} 2`);
  return n;
}

export function defineWorker(cmd: Command): void {
  cmd
    .requiredOption("--redis <url>", "the job queue's Redis (redis://[:password@]host:port[/db], rediss:// for TLS)")
    .option("--slots <n>", "programs run at once (default: one per core)")
    .option("--name <name>", "this worker's name in progress lines and run stores (default: <host>-<pid>)")
    .option("--stall-sec <s>", "a job whose worker stops renewing its lock for this long goes to another worker", "30")
    .action(async (opts: { redis: string; slots?: string; name?: string; stallSec: string }, cmd: Command) => {
      const { runWorker } = await import("../../run/worker.js");
      const ac = new AbortController();
      const stop = () => (ac.signal.aborted ? process.exit(130) : ac.abort());
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      const log = (line: string) => process.stderr.write(`[worker] ${line}\n`);
      await runWorker({
        redisUrl: opts.redis,
        dataDir: dataDirOf(cmd),
        ...(opts.slots !== undefined ? { slots: positiveInt("--slots", opts.slots) } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        stallSec: positiveInt("--stall-sec", opts.stallSec),
        signal: ac.signal,
        log,
      });
    });
}
