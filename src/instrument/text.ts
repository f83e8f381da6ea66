/**
 * The text form of an instrumented program: the original with one marker print line per site. This is what
 * an instrumenter returns and what the acceptance check inspects; the launcher (launch.ts) turns the sites
 * into markers the program cannot forge, so the text form with its nonce never reaches the sandbox.
 */
import { MARKER_KINDS, type MarkerKind, type Site } from "./types.js";
import { assertNonce } from "./nonce.js";

/** Lines with their endings, split on "\n" only (a "\r\n" ending stays on its line). */
export function splitLines(text: string): string[] {
  const parts = text.split("\n");
  const lines = parts.slice(0, -1).map((p) => `${p}\n`);
  const last = parts[parts.length - 1]!;
  if (last !== "") lines.push(last);
  return lines;
}

/** The marker print line for a site, without indentation and line ending. */
export function markerStatement(kind: MarkerKind, value: string | null, nonce: string): string {
  return value ? `print("@@mlerl:${nonce} ${kind}", ${value})` : `print("@@mlerl:${nonce} ${kind}")`;
}

/** Inserts one marker line per site; every original byte is kept, in order. */
export function renderInstrumented(original: string, sites: readonly Site[], nonce: string): string {
  assertNonce(nonce);
  const lines = splitLines(original);
  const byAfter = new Map<number, Site[]>();
  for (const s of sites) {
    if (!Number.isInteger(s.after) || s.after < 0 || s.after > lines.length)
      throw new Error(`site after line ${s.after} is outside the program`);
    byAfter.set(s.after, [...(byAfter.get(s.after) ?? []), s]);
  }
  const out: string[] = [];
  const emit = (s: Site, eol: string) => out.push(`${s.indent}${markerStatement(s.kind, s.value, nonce)}${eol}`);
  const eolOf = (line: string | undefined) => (line?.endsWith("\r\n") ? "\r\n" : "\n");
  for (const s of byAfter.get(0) ?? []) emit(s, eolOf(lines[0]));
  lines.forEach((line, i) => {
    const here = byAfter.get(i + 1);
    if (!here) return void out.push(line);
    if (!line.endsWith("\n")) {
      // The last line has no newline: the markers go after it, each starting a line of its own, so that
      // deleting them (and the line break they needed) gives the original back.
      out.push(line);
      for (const s of here) out.push(`\n${s.indent}${markerStatement(s.kind, s.value, nonce)}`);
      return;
    }
    out.push(line);
    for (const s of here) emit(s, eolOf(line));
  });
  return out.join("");
}

const VALUE = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`;

function markerLineRegex(nonce: string): RegExp {
  const kinds = MARKER_KINDS.join("|");
  return new RegExp(String.raw`^([ \t]*)print\("@@mlerl:${nonce} (${kinds})"(?:, (${VALUE}))?\)[ \t]*(\r?\n)?$`);
}

export type CheckResult = { ok: true; sites: Site[] } | { ok: false; reason: string };

/**
 * Recovers the sites from an instrumented text, if and only if deleting its marker lines gives back `original`
 * exactly. Marker lines are exactly the `markerStatement` form with this nonce; anything else that differs
 * from the original (a changed character, a removed line, a marker with an expression that is not a plain
 * name) fails the check. Where a marker line sits inside a statement (a bracket, a string) is checked by the
 * launcher's parser (see `checkStructure` in ast.ts).
 */
export function checkInstrumented(original: string, instrumented: string, nonce: string): CheckResult {
  assertNonce(nonce);
  const re = markerLineRegex(nonce);
  const lines = splitLines(instrumented);
  const kept: string[] = [];
  const sites: Site[] = [];
  let endsWithMarker = false;
  for (const line of lines) {
    const m = re.exec(line);
    if (m) {
      sites.push({ after: kept.length, indent: m[1]!, kind: m[2] as MarkerKind, value: m[3] ?? null });
      endsWithMarker = m[4] === undefined;
    } else {
      kept.push(line);
      endsWithMarker = false;
    }
  }
  const rebuilt = kept.join("");
  // Markers after a last line that had no newline bring the line break they needed (see renderInstrumented).
  const ok = rebuilt === original || (endsWithMarker && rebuilt.endsWith("\n") && rebuilt.slice(0, -1) === original);
  if (!ok) return { ok: false, reason: firstDifference(original, rebuilt) };
  return { ok: true, sites };
}

/** True only if deleting the marker print lines (with this nonce) from `instrumented` gives back `original` exactly. */
export function onlyPrintsAdded(original: string, instrumented: string, nonce: string): boolean {
  return checkInstrumented(original, instrumented, nonce).ok;
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const line = a.slice(0, i).split("\n").length;
  return `without its marker lines the program differs from the original at line ${line} (character ${i})`;
}
