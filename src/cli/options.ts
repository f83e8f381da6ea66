import type { Command } from "commander";
import { defaultDataDir } from "../paths.js";
import { join, resolve } from "node:path";
import { DEFAULT_ENV, EnvConfig } from "../core/config.js";
import { UserError } from "../errors.js";
import { addConfigFlags, configFromFlags, configIssueToUserError, type FlagSpec } from "./flags.js";

/** The global --data-dir, resolved. */
export function dataDirOf(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ dataDir?: string }>();
  return opts.dataDir ? resolve(opts.dataDir) : defaultDataDir();
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

/** Where programs run, for the commands that run real programs (eval, baselines, ablations, the pipeline, exec). */
export const ENV_FLAGS: readonly FlagSpec[] = [
  { flags: "--executor <kind>", path: "executor" },
  { flags: "--redis <url>", path: "redisUrl" },
  { flags: "--worker-sandbox <mode>", path: "workerSandbox" },
  { flags: "--timeout <seconds>", path: "timeoutSec" },
];

/** Adds the environment flags, with the schema's help and defaults. */
export function addEnvFlags(cmd: Command, table: readonly FlagSpec[] = ENV_FLAGS): Command {
  return addConfigFlags(cmd, EnvConfig, table, DEFAULT_ENV);
}

/** The environment the flags name (only what was passed; the rest stays the caller's default), checked. */
export function envFromFlags(cmd: Command, table: readonly FlagSpec[] = ENV_FLAGS): Partial<EnvConfig> {
  const given = configFromFlags(cmd, table);
  const parsed = EnvConfig.partial().safeParse(given);
  if (!parsed.success) throw configIssueToUserError(parsed.error, table, given, DEFAULT_ENV);
  if (parsed.data.executor === "simulate")
    throw new UserError("--executor simulate only runs with `mlerl train`", "this command runs real programs: --executor sandbox");
  if (parsed.data.executor === "queue" && !parsed.data.redisUrl)
    throw new UserError("--executor queue needs --redis URL", "e.g. --executor queue --redis redis://127.0.0.1:6379");
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<EnvConfig>;
}
