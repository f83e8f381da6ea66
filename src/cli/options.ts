import type { Command } from "commander";
import { defaultDataDir } from "../paths.js";
import { join, resolve } from "node:path";
import { UserError } from "../errors.js";

/** The global --data-dir, resolved. */
export function dataDirOf(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ dataDir?: string }>();
  return opts.dataDir ? resolve(opts.dataDir) : defaultDataDir();
}

/** A positive number from a flag, or a UserError naming the flag. */
export function positiveFlag(flag: string, value: string, opts: { int?: boolean } = {}): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (opts.int && !Number.isInteger(n)))
    throw new UserError(`${flag} must be a positive ${opts.int ? "integer" : "number"}, got '${value}'`, `e.g. ${flag} 2`);
  return n;
}

/** An integer flag ≥ min, or a UserError naming the flag. */
export function intFlag(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UserError(`${flag} must be an integer ≥ ${min}, got '${value}'`, `e.g. ${flag} ${Math.max(min, 1)}`);
  return n;
}

/** A time stamp safe in file names (ISO 8601 with ':' and '.' replaced). */
export function fileStamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

/** The default directory of a new run: ./runs/<kind>-<time>. */
export function defaultRunDir(kind: string): string {
  return resolve(join("runs", `${kind}-${fileStamp()}`));
}

/**
 * Ctrl-C as a clean stop: the first one aborts the returned signal (the work stops and stays resumable), a
 * second one quits at once. Call `dispose` when the work is done.
 */
export function interruptOnSigint(onFirst: () => void): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  let count = 0;
  const handler = () => {
    if (++count > 1) process.exit(130);
    onFirst();
    ac.abort();
  };
  process.on("SIGINT", handler);
  return { signal: ac.signal, dispose: () => process.removeListener("SIGINT", handler) };
}

/** `--executor` of the commands that run real programs: the sandbox, or no isolation for trusted code. */
export function assertRealExecutor(value: string): asserts value is "sandbox" | "unsandboxed" {
  if (value !== "sandbox" && value !== "unsandboxed")
    throw new UserError(`--executor must be sandbox or unsandboxed, got '${value}'`, "e.g. --executor sandbox");
}
