/**
 * Which runs the dashboard shows: the run directories named on the command line, or every run below a --runs
 * folder (looked for again on every listing, so runs started later appear). A name that holds no run is kept
 * with the reason, so the page can say so instead of failing.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { UserError } from "../errors.js";
import { expandRunDirs } from "../report/load-runs.js";

export interface CatalogEntry {
  id: string;
  dir: string;
}

export interface Catalog {
  runs: CatalogEntry[];
  missing: { dir: string; message: string }[];
  /** Folders holding a report.md (a `mlerl report --out` or a pipeline's report/). */
  reports: CatalogEntry[];
}

/** A short stable id for a directory (ids, never paths, travel in URLs). */
export function idOf(dir: string): string {
  return createHash("sha256").update(resolve(dir)).digest("hex").slice(0, 12);
}

function reportDirsUnder(dir: string, depth: number, out: string[]): void {
  if (existsSync(join(dir, "report.md"))) out.push(dir);
  if (depth === 0) return;
  let children: string[] = [];
  try {
    children = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !["rollouts", "checkpoints", "node_modules"].includes(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return;
  }
  for (const c of children) reportDirsUnder(join(dir, c), depth - 1, out);
}

/** Finds the runs and reports of the given directories now. */
export function scanCatalog(dirs: readonly string[]): Catalog {
  const runs: string[] = [];
  const missing: Catalog["missing"] = [];
  const reports: string[] = [];
  for (const raw of dirs) {
    const dir = resolve(raw);
    try {
      runs.push(...expandRunDirs([dir]));
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      // A folder of reports only is not a missing run.
      const before = reports.length;
      if (existsSync(dir) && statSync(dir).isDirectory()) reportDirsUnder(dir, 3, reports);
      if (reports.length === before) missing.push({ dir, message: e.hint ? `${e.message} (${e.hint})` : e.message });
      continue;
    }
    reportDirsUnder(dir, 3, reports);
  }
  const entry = (d: string): CatalogEntry => ({ id: idOf(d), dir: d });
  return { runs: [...new Set(runs)].map(entry), missing, reports: [...new Set(reports)].map(entry) };
}

/** The reports that belong to a run: its own, and those of the folders it sits in. */
export function reportsOfRun(runDir: string, reports: readonly CatalogEntry[]): CatalogEntry[] {
  return reports.filter((r) => {
    const owner = dirname(r.dir);
    return r.dir.startsWith(runDir + sep) || runDir.startsWith(owner + sep);
  });
}
