/**
 * Which process is writing a run: training and the baselines record their process id and host when they open a
 * run, so a reader (the dashboard) can tell a live run from one that was stopped or killed without a word.
 */
import { hostname } from "node:os";
import { z } from "zod";
import { parseJson, type RunStore } from "./run-store.js";

export const RunWriter = z.object({ pid: z.number().int().positive(), host: z.string(), since: z.string() });
export type RunWriter = z.infer<typeof RunWriter>;

/** Records this process as the run's writer (a resumed run overwrites the previous session's). */
export function markWriter(store: RunStore): void {
  const writer: RunWriter = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  store.setMeta("writer", JSON.stringify(writer));
}

/**
 * Whether the recorded writer is alive: true or false on this host, null when the run was written on another
 * host (or says nothing), where no process can be asked.
 */
export function writerAlive(meta: ReadonlyMap<string, string>): boolean | null {
  const text = meta.get("writer");
  if (text === undefined) return null;
  const w = parseJson(RunWriter, text);
  if (!w.ok || w.value.host !== hostname()) return null;
  try {
    process.kill(w.value.pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return e instanceof Error && "code" in e && e.code === "EPERM";
  }
}
