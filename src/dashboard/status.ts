/**
 * Whether a run is running, stopped or done, from what its store says: a live writer process is running; a clean
 * stop by budget is done; a stop by a signal, or a writer that died without a word (kill -9), is stopped. A run
 * written on another host is judged by how recently its files changed.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { writerAlive } from "../store/run-writer.js";
import type { RunStatus } from "./api.js";

/** A run on another host whose store changed within this many seconds is taken as running. */
const RECENT_SEC = 120;

function lastWriteSec(dir: string): number | null {
  let latest: number | null = null;
  for (const f of ["run.sqlite", "run.sqlite-wal"]) {
    try {
      const st = statSync(join(dir, f));
      // A reader (this dashboard) may leave an empty write-ahead log behind; only a writer fills it.
      if (f.endsWith("-wal") && st.size === 0) continue;
      const t = st.mtimeMs;
      latest = latest === null ? t : Math.max(latest, t);
    } catch {
      /* absent */
    }
  }
  return latest === null ? null : (Date.now() - latest) / 1000;
}

export function runStatus(dir: string, meta: ReadonlyMap<string, string>, hasStore: boolean): { status: RunStatus; note: string } {
  if (!hasStore) return { status: "done", note: "an evaluation (eval.json)" };
  const alive = writerAlive(meta);
  if (alive === true) return { status: "running", note: "its process is alive" };
  const stoppedBy = meta.get("stopped_by");
  if (stoppedBy === "signal") return { status: "stopped", note: "stopped by a signal; `mlerl train --resume` continues it" };
  if (stoppedBy === "rollouts" || stoppedBy === "time") return { status: "done", note: `its ${stoppedBy} budget was reached` };
  // Baselines and evaluations record their time when they finish.
  if (meta.has("elapsed_sec")) return { status: "done", note: "finished" };
  if (alive === false) return { status: "stopped", note: "its process ended without a clean stop (killed?)" };
  const ago = lastWriteSec(dir);
  if (ago !== null && ago < RECENT_SEC)
    return { status: "running", note: `written ${Math.round(ago)} s ago (no process to ask on this host)` };
  return { status: "stopped", note: "no process writes it and it did not record a stop" };
}
