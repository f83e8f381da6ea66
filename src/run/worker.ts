/**
 * `mlerl worker`: one executor machine of a job queue. Opens the local sandbox (never direct execution), checks
 * the agent venv, connects to Redis and takes jobs until stopped; a stop cancels the programs it is running,
 * whose coordinators queue them again.
 */
import { availableParallelism, hostname } from "node:os";
import { join } from "node:path";
import { localIdentity, localSandboxMode } from "../queue/protocol.js";
import { QueueWorker } from "../queue/worker.js";
import { redisTarget } from "../queue/redis.js";
import { BwrapExecutor } from "../sandbox/index.js";
import { BUILTIN_TASK_IDS, prepareTasks, requirePrepared } from "../tasks/registry.js";

export interface WorkerOptions {
  redisUrl: string;
  dataDir: string;
  slots?: number;
  name?: string;
  stallSec?: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export async function runWorker(opts: WorkerOptions): Promise<void> {
  const target = redisTarget(opts.redisUrl);
  const executor = new BwrapExecutor();
  // Built-in tasks are generated here on first use; any task prepared in the data dir is used as it is.
  // Either way a copy is mounted only if its files hash to what the coordinator has.
  const localCopy = async (taskId: string): Promise<string | null> => {
    if (BUILTIN_TASK_IDS.includes(taskId)) await prepareTasks([taskId], opts.dataDir, () => {});
    return requirePrepared(taskId, opts.dataDir).paths.publicDir;
  };
  const worker = new QueueWorker({
    target,
    name: opts.name ?? `${hostname()}-${process.pid}`,
    slots: opts.slots ?? availableParallelism(),
    executor,
    identity: localIdentity(localSandboxMode()),
    workDir: join(opts.dataDir, "worker"),
    localCopy,
    stallSec: opts.stallSec ?? 30,
    log: opts.log,
  });
  await worker.start();
  opts.log(`sandbox: ${executor.describe()}`);
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  opts.log("stopping: cancelling running programs (their coordinators queue them again)");
  await worker.stop();
}
