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
import { markerTag, METRIC_REPORTS } from "./nonce.js";
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

/**
 * The marker lines the launcher may write for these sites: one per kind that has a site, and for `metric` one
 * one-time line per report (its value and newline are appended when it is written). Kinds without a site get
 * nothing, so a program never holds a tag it could not earn.
 */
export function markerLines(sites: readonly Site[], nonce: string): Array<{ kind: MarkerKind; line: string }> {
  const present = new Set(sites.map((s) => s.kind));
  const lines: Array<{ kind: MarkerKind; line: string }> = [];
  for (const kind of MARKER_KINDS) {
    if (!present.has(kind)) continue;
    if (kind === "metric")
      for (let i = 0; i < METRIC_REPORTS; i++) lines.push({ kind, line: `@@mlerl ${markerTag(nonce, kind, i)} metric` });
    else lines.push({ kind, line: `@@mlerl ${markerTag(nonce, kind)} ${kind}\n` });
  }
  return lines;
}

/**
 * The plan on the launcher's stdin (never the nonce): `<header bytes>\n<header JSON><marker lines>`, where the
 * header holds the sites and each marker line's kind and length, and the lines follow back to back. The launcher
 * reads the header as text and the lines straight into memory the program cannot read (bootstrap.py).
 */
export function launchStdin(sites: readonly Site[], nonce: string): string {
  const lines = markerLines(sites, nonce);
  const header = JSON.stringify({ sites, slots: lines.map((l) => [l.kind, l.line.length]) });
  return `${Buffer.byteLength(header)}\n${header}${lines.map((l) => l.line).join("")}`;
}
