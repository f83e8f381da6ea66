import { readFileSync, readdirSync } from "node:fs";
import { UserError } from "../errors.js";
import { DEFAULT_LIMITS, ExecLimits } from "./executor.js";

/** Defaults filled in and every field validated. */
export function resolveLimits(partial: Partial<ExecLimits> | undefined): ExecLimits {
  // cpus follows threads unless given: a program told to use 4 threads gets 4 cores.
  const merged = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  if (partial?.cpus === undefined) merged.cpus = merged.threads;
  const parsed = ExecLimits.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `invalid execution limit ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
      "limits must be positive numbers (see --help)",
    );
  }
  return parsed.data;
}

const MIB = 1024 * 1024;

/** RLIMIT_CPU: SIGXCPU at the limit, SIGKILL a few seconds later if the program ignores it. */
export function cpuRlimit(l: ExecLimits): [number, number] {
  const soft = Math.ceil(l.cpuSec);
  return [soft, soft + 5];
}

export function fsizeRlimit(l: ExecLimits): [number, number] {
  const b = Math.floor(l.maxFileSizeMb * MIB);
  return [b, b];
}

export function memoryBytes(l: ExecLimits): number {
  return Math.floor(l.memoryMb * MIB);
}

/** Tasks (threads included) of the current user: RLIMIT_NPROC counts them all, not just the sandbox's. */
export function currentTaskCount(): number {
  const uid = process.getuid?.() ?? -1;
  let n = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const uidLine = /^Uid:\s+(\d+)/m.exec(status);
      const threads = /^Threads:\s+(\d+)/m.exec(status);
      if (uidLine && Number(uidLine[1]) === uid) n += threads ? Number(threads[1]) : 1;
    } catch {
      /* exited meanwhile */
    }
  }
  return n;
}
