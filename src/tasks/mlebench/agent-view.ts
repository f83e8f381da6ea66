import { cpSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import type { TaskPaths } from "../../core/task.js";
import { UserError } from "../../errors.js";
import { KEEP_LEAKY_ENV, knownIssues } from "../known-issues.js";

/**
 * What the agent sees of a prepared MLE-bench competition whose public files leak the label: a sibling of
 * public/ holding the same files with the leaking field removed (and without the zipped copies of those files,
 * which would still hold it). Built once, atomically, and rebuilt when public/ changes; public/ itself is never
 * modified, so `mlebench grade` and MLE-bench's own agents see their usual files.
 */
export const AGENT_VIEW_DIR = "public-without-leaks";
/** Beside the view, not in it (the agent lists its files): written last, so a half-built view is rebuilt. */
const STAMP = `.${AGENT_VIEW_DIR}.json`;
const VIEW_VERSION = 1;

const Stamp = z.object({ version: z.number(), sources: z.record(z.string(), z.object({ size: z.number(), mtimeMs: z.number() })) });
const JsonRecords = z.array(z.record(z.string(), z.unknown()));

function sourcesOf(publicDir: string): Record<string, { size: number; mtimeMs: number }> {
  const out: Record<string, { size: number; mtimeMs: number }> = {};
  for (const name of readdirSync(publicDir).sort()) {
    const st = statSync(join(publicDir, name));
    out[name] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  return out;
}

function stampPath(view: string): string {
  return join(dirname(view), STAMP);
}

function isCurrent(view: string, publicDir: string): boolean {
  const path = stampPath(view);
  if (!existsSync(view)) return false;
  if (!existsSync(path)) return false;
  try {
    const stamp = Stamp.parse(JSON.parse(readFileSync(path, "utf8")));
    return stamp.version === VIEW_VERSION && JSON.stringify(stamp.sources) === JSON.stringify(sourcesOf(publicDir));
  } catch {
    return false; // unreadable: rebuild
  }
}

/** A zipped copy of a leaking file (MLE-bench ships train.zip beside train.json). */
function zipOf(name: string, leaky: readonly string[]): boolean {
  if (!name.toLowerCase().endsWith(".zip")) return false;
  const stem = name.slice(0, -4);
  return leaky.some((f) => f === stem || f.replace(/\.[^.]+$/, "") === stem);
}

function withoutFields(path: string, fields: readonly string[]): string {
  const field = fields.join("', '");
  let records: z.infer<typeof JsonRecords>;
  try {
    records = JsonRecords.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (e) {
    throw new UserError(
      `cannot remove the leaking field '${field}' from ${path}: it is not a JSON array of objects (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`,
      `re-run \`mlebench prepare\` for this competition, or set ${KEEP_LEAKY_ENV}=1 to give the agent the files as they are`,
    );
  }
  for (const r of records) for (const f of fields) delete r[f];
  return `${JSON.stringify(records, null, 4)}\n`;
}

/**
 * The directory to show the agent for a prepared competition: public/ itself when nothing leaks or the leak is
 * to be kept, else the view without the leaking fields (built if missing or stale).
 */
export function agentPublicDir(taskId: string, paths: TaskPaths, opts: { keepLeakyFields: boolean }): string {
  const leaks = knownIssues(taskId).flatMap((i) => (i.leakyField ? [i.leakyField] : []));
  if (leaks.length === 0 || opts.keepLeakyFields) return paths.publicDir;
  const view = join(dirname(paths.publicDir), AGENT_VIEW_DIR);
  if (isCurrent(view, paths.publicDir)) return view;
  const tmp = `${view}.tmp-${process.pid}-${Date.now().toString(36)}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const leakyFiles = leaks.flatMap((l) => l.files);
    const sources = sourcesOf(paths.publicDir);
    for (const name of Object.keys(sources)) {
      const from = join(paths.publicDir, name);
      const to = join(tmp, name);
      const fields = leaks.filter((l) => l.files.includes(name)).map((l) => l.name);
      if (zipOf(name, leakyFiles)) continue;
      if (fields.length > 0) {
        writeFileSync(to, withoutFields(from, fields));
      } else if (name === "description.md") {
        const note = leaks.map((l) => `\`${l.name}\` has been removed from ${l.files.join(" and ")}: it reveals the label.`).join(" ");
        writeFileSync(to, `${readFileSync(from, "utf8").trimEnd()}\n\nNote: ${note}\n`);
      } else if (statSync(from).isDirectory()) {
        cpSync(from, to, { recursive: true });
      } else {
        try {
          linkSync(from, to); // no copy of large files when public/ is on the same file system
        } catch {
          cpSync(from, to);
        }
      }
    }
    rmSync(stampPath(view), { force: true });
    rmSync(view, { recursive: true, force: true });
    try {
      renameSync(tmp, view);
    } catch (e) {
      if (isCurrent(view, paths.publicDir)) return view; // another process built it meanwhile: keep theirs
      throw e;
    }
    writeFileSync(stampPath(view), `${JSON.stringify({ version: VIEW_VERSION, sources })}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return view;
}
