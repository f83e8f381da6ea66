/**
 * One rollout as the page shows it: its record, program, output streams (read from the rollout's directory, cut
 * at a size a page can hold), where the markers it was credited for sat and the marker-shaped lines it was not
 * credited for, the instrumenter's sites, its weight and advantage in the update that trained it, and for an
 * improve rollout a diff against its parent.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { reportScoreOf } from "../core/rollout.js";
import type { RunStore, StoredRollout, StoredUpdate } from "../store/run-store.js";
import type { OutputMark, RolloutResponse, SiteView, TextFile } from "./api.js";
import { lineDiff } from "./diff.js";

/** At most this much of a file travels to the page. */
export const MAX_SHOWN_BYTES = 512 * 1024;

/** A marker-shaped line (the launcher's format); the genuine ones were removed from the stored stdout. */
const MARKER_SHAPED = /@@mlerl [0-9a-f]{32} [a-z_]+/;

export function readShown(path: string, maxBytes = MAX_SHOWN_BYTES): TextFile {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { text: "", bytes: 0, truncated: false, missing: true };
    size = st.size;
  } catch {
    return { text: "", bytes: 0, truncated: false, missing: true };
  }
  const n = Math.min(size, maxBytes);
  const buf = Buffer.alloc(n);
  const fd = openSync(path, "r");
  try {
    readSync(fd, buf, 0, n, 0);
  } finally {
    closeSync(fd);
  }
  // A cut in the middle of a UTF-8 sequence decodes as a replacement character, never as something else.
  return { text: buf.toString("utf8"), bytes: size, truncated: size > n, missing: false };
}

/** Credited markers (placed where they were, among the lines the program printed) and rejected marker lines. */
export function outputMarks(r: StoredRollout, stdout: string): OutputMark[] {
  const marks: OutputMark[] = [];
  const credited = [...(r.record?.instrumentation.credited ?? [])].sort((a, b) => a.line - b.line);
  credited.forEach((h, k) => {
    // h.line counts the launcher's own marker lines, which the stored stdout no longer has.
    const line = h.line > 0 ? Math.max(1, h.line - k) : 1;
    marks.push({
      line,
      kind: "credited",
      label: `credited: ${h.milestone} (${h.kind})${h.line > 0 ? `, stdout line ${h.line} with markers` : ""}`,
    });
  });
  stdout.split("\n").forEach((text, i) => {
    if (MARKER_SHAPED.test(text))
      marks.push({ line: i + 1, kind: "rejected", label: "rejected: marker-shaped line without this execution's tag" });
  });
  return marks.sort((a, b) => a.line - b.line || (a.kind === b.kind ? 0 : a.kind === "credited" ? -1 : 1));
}

function promptOf(r: StoredRollout): string | null {
  const p = r.action.payload;
  return p !== null && typeof p === "object" && "prompt" in p && typeof p.prompt === "string" ? p.prompt : null;
}

export interface RolloutViewInput {
  runId: string;
  store: RunStore;
  rollout: StoredRollout;
  updates: readonly StoredUpdate[];
  sites: { placed: SiteView[]; source: string };
}

export function rolloutView(input: RolloutViewInput): RolloutResponse {
  const { store, rollout: r } = input;
  const dir = store.rolloutDir(r.id);
  const stdout = readShown(join(dir, "stdout.txt"));
  const stderr = readShown(join(dir, "stderr.txt"));
  const code = r.action.code;
  const program: TextFile = { text: code, bytes: Buffer.byteLength(code), truncated: false, missing: false };
  const update = r.trainedIn === null ? undefined : input.updates.find((u) => u.version === r.trainedIn);
  const at = update ? update.stats.rolloutIds.indexOf(r.id) : -1;
  const parent = r.parentId === null ? undefined : store.rollout(r.parentId);
  const prompt = readShown(join(dir, "prompt.txt"));
  return {
    runId: input.runId,
    id: r.id,
    taskId: r.taskId,
    kind: r.kind,
    status: r.status,
    policyVersion: r.policyVersion,
    parentId: r.parentId,
    childIds: store.childrenOf(r.id),
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    problem: r.problem,
    prompt: prompt.missing ? promptOf(r) : prompt.text,
    program,
    sites: input.sites,
    stdout,
    stderr,
    marks: outputMarks(r, stdout.text),
    record: r.record,
    reportScore: r.record ? reportScoreOf(r.record) : null,
    update: update
      ? {
          version: update.version,
          weight: at >= 0 ? (update.stats.weights[at] ?? null) : null,
          advantage: at >= 0 ? (update.stats.advantages[at] ?? null) : null,
        }
      : null,
    parent: parent ? { id: parent.id, diff: lineDiff(parent.action.code, code) } : null,
  };
}
