import { UserError } from "../errors.js";
import { DEFAULT_LIMITS, ExecLimits } from "./executor.js";

/** Defaults filled in and every field validated. */
export function resolveLimits(partial: Partial<ExecLimits> | undefined): ExecLimits {
  const parsed = ExecLimits.safeParse({ ...DEFAULT_LIMITS, ...(partial ?? {}) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(`invalid execution limit ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, "limits must be positive numbers (see --help)");
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
