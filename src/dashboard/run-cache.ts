/**
 * Runs read for the dashboard, each kept until its store changes: a cheap fingerprint (row counts, meta) is read
 * on every request and the run is read again (with the report's own reader) only when it moved. Stores are
 * opened read-only, so the dashboard never changes a run, even one still training.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { StoredUpdate } from "../store/run-store.js";
import { RunStore } from "../store/run-store.js";
import { loadRun, type LoadedRun } from "../report/load-runs.js";

export interface RunData {
  dir: string;
  fingerprint: string;
  /** Null when nothing of the run could be read (`error` says why). */
  loaded: LoadedRun | null;
  meta: Map<string, string>;
  updates: StoredUpdate[];
  hasStore: boolean;
  error: string | null;
  /** Values computed from this reading of the run (kept until the run changes). */
  memo: Map<string, unknown>;
}

/** A value computed once per reading of a run: polls of an unchanged run cost nothing. */
export function memoOf<T>(data: RunData, key: string, compute: () => T): T {
  if (!data.memo.has(key)) data.memo.set(key, compute());
  return data.memo.get(key) as T;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class RunCache {
  private readonly runs = new Map<string, RunData>();
  private readonly stores = new Map<string, RunStore>();

  /** The read-only store of a run directory (kept open), or null when it has none or it cannot be opened. */
  store(dir: string): RunStore | null {
    const open = this.stores.get(dir);
    if (open) return open;
    if (!RunStore.exists(dir)) return null;
    try {
      const s = RunStore.openReadonly(dir);
      s.meta();
      this.stores.set(dir, s);
      this.runs.delete(dir);
      return s;
    } catch {
      return null;
    }
  }

  private fingerprintOf(dir: string): string {
    const evalJson = join(dir, "eval.json");
    const evalStamp = existsSync(evalJson) ? String(statSync(evalJson).mtimeMs) : "";
    const evalDb = join(dir, "eval", "run.sqlite");
    const testTime = existsSync(evalDb) ? `${statSync(evalDb).mtimeMs}` : "";
    const store = this.store(dir);
    if (store === null) return `nostore:${RunStore.exists(dir)}:${evalStamp}:${testTime}`;
    try {
      // The counter is per connection: a reopened store starts a new series (see dropStore).
      return `${store.changeCounter()}:${evalStamp}:${testTime}`;
    } catch (e) {
      this.dropStore(dir);
      return `error:${message(e)}`;
    }
  }

  private dropStore(dir: string): void {
    this.stores.get(dir)?.close();
    this.stores.delete(dir);
    this.runs.delete(dir);
  }

  /** The run as it is now (read again only if its fingerprint changed). */
  get(dir: string): RunData {
    const fingerprint = this.fingerprintOf(dir);
    const cached = this.runs.get(dir);
    // A run that could not be read is tried again every time: it may be one whose store is being created.
    if (cached && cached.fingerprint === fingerprint && cached.error === null) return cached;
    const data = this.read(dir, fingerprint);
    this.runs.set(dir, data);
    return data;
  }

  private read(dir: string, fingerprint: string): RunData {
    const hasStore = RunStore.exists(dir);
    const store = this.store(dir);
    let meta = new Map<string, string>();
    let updates: StoredUpdate[] = [];
    let error: string | null = null;
    if (hasStore && store === null) error = `run.sqlite cannot be opened (not an mlerl run store, or damaged)`;
    if (store) {
      try {
        meta = store.meta();
        updates = store.updates();
      } catch (e) {
        error = `run.sqlite could not be read: ${message(e)}`;
      }
    }
    let loaded: LoadedRun | null = null;
    try {
      loaded = loadRun(dir, store ?? undefined);
    } catch (e) {
      error = error ?? message(e);
    }
    return { dir, fingerprint, loaded, meta, updates, hasStore, error, memo: new Map() };
  }

  close(): void {
    for (const dir of [...this.stores.keys()]) this.dropStore(dir);
    this.runs.clear();
  }
}
