/**
 * How an instrumented program is started so that its markers cannot be forged (docs/instrumentation.md).
 *
 * The executor writes the ORIGINAL program to its usual place (e.g. /home/work/program.py) and starts
 *   <python> -c <launcherSource()> <program path>
 * with `launchStdin(sites, nonce)` as the program's stdin. The launcher reads the plan, replaces stdin by
 * /dev/null, injects the sites as audit-hook calls and runs the program as `python <program path>` would.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../paths.js";
import { markerTag } from "./nonce.js";
import { MARKER_KINDS, type MarkerKind, type Site } from "./types.js";

let cached: string | undefined;

/** The launcher's Python source, passed with `-c` so nothing needs to be mounted in the sandbox. */
export function launcherSource(): string {
  cached ??= readFileSync(join(repoRoot(), "python", "instrument", "bootstrap.py"), "utf8");
  return cached;
}

/** Interpreter arguments that run `programPath` under the launcher. */
export function launchArgs(programPath: string): string[] {
  return ["-c", launcherSource(), programPath];
}

/** The plan on the launcher's stdin: the sites and this execution's per-kind tags (never the nonce). */
export function launchStdin(sites: readonly Site[], nonce: string): string {
  const tags: Partial<Record<MarkerKind, string>> = {};
  for (const kind of MARKER_KINDS) tags[kind] = markerTag(nonce, kind);
  return JSON.stringify({ sites, tags });
}
