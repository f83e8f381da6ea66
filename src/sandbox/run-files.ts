import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, lstatSync, statSync, writeFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecLimits, ExecResult } from "./executor.js";
import type { RawOutcome } from "./supervise.js";
import { copySubmission, type SubmissionOutcome } from "./submission.js";
import type { RunCgroup } from "./cgroup.js";

/** The host side of one run's writable directories; removed after the run (the outputs live in outDir). */
export interface RunDir {
  root: string;
  submission: string;
  work: string;
}

/** `withWork`: also a host working dir (the sandbox uses a tmpfs of its own instead). */
export function makeRunDir(opts: { withWork: boolean }): RunDir {
  // The pid in the name tells a later mlerl whose leftovers (a submission mount) these are.
  const root = mkdtempSync(join(tmpdir(), `mlerl-run-${process.pid}-`));
  const d = { root, submission: join(root, "submission"), work: join(root, "work") };
  mkdirSync(d.submission);
  if (opts.withWork) mkdirSync(d.work);
  return d;
}

/** Removes a run dir even if the program left unreadable or unwritable directories behind. */
export function removeRunDir(d: RunDir): void {
  try {
    rmSync(d.root, { recursive: true, force: true });
    return;
  } catch {
    /* permissions: open everything up and retry */
  }
  const open = (p: string) => {
    try {
      const st = lstatSync(p);
      if (!st.isDirectory()) return;
      chmodSync(p, 0o700);
      for (const n of readdirSync(p)) open(join(p, n));
    } catch {
      /* vanished */
    }
  };
  open(d.root);
  rmSync(d.root, { recursive: true, force: true });
}

/** bwrap would fail with a terse message; say which directory is missing and what to do. */
export function checkPublicDir(dir: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok)
    throw new UserError(
      `the task's public data directory ${dir} does not exist`,
      "prepare the task first (`mlerl tasks prepare ID`, or `mlebench prepare` for MLE-bench competitions)",
    );
}

const pendingRemovals = new Map<string, Promise<void>>();
let removalHookInstalled = false;

/**
 * Removes the run dir in the background: deleting files is slow on a busy disk and nothing waits for it, so it
 * stays off the path from exit to result. Whatever is still pending when mlerl exits is removed then.
 */
export function removeRunDirLater(d: RunDir, after: Promise<void> = Promise.resolve()): void {
  if (!removalHookInstalled) {
    removalHookInstalled = true;
    process.on("exit", () => {
      for (const root of pendingRemovals.keys()) removeRunDir({ root, submission: "", work: "" });
    });
  }
  const p = after
    .then(() => rm(d.root, { recursive: true, force: true }))
    .catch(() => removeRunDir(d))
    .catch(() => {})
    .finally(() => pendingRemovals.delete(d.root));
  pendingRemovals.set(d.root, p);
}

/** Resolves when every background removal has finished. */
export async function runDirsRemoved(): Promise<void> {
  await Promise.all([...pendingRemovals.values()]);
}

/**
 * Files a run leaves in its outDir. Removed before a run: in a reused outDir, a stale submission.csv or
 * grade.json of an earlier run must never be taken for this run's.
 */
export const RUN_OUTPUTS = ["submission.csv", "stdout.txt", "stderr.txt", "result.json", "grade.json", "reward.json"] as const;

/** Writes the program into outDir (kept with the outputs, so every result can be reproduced), after clearing old outputs. */
export function writeProgram(outDir: string, code: string): string {
  mkdirSync(outDir, { recursive: true });
  for (const f of RUN_OUTPUTS) rmSync(join(outDir, f), { force: true, recursive: true });
  const path = join(outDir, "program.py");
  writeFileSync(path, code);
  return path;
}

function fmtSec(s: number): string {
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

/** One line for humans about how the run ended. */
export function describeEnd(
  r: Pick<ExecResult, "exitCode" | "signal" | "killed" | "wallSec">,
  limits: ExecLimits,
  extra: { memoryLimitHit: boolean; pidsLimitHit: boolean },
): string {
  const t = fmtSec(r.wallSec);
  let s: string;
  switch (r.killed) {
    case "timeout":
      s = `killed at the ${limits.timeoutSec} s deadline`;
      break;
    case "output":
      s = `killed after ${t} s for flooding its output`;
      break;
    case "memory":
      s = `killed after ${t} s by the ${limits.memoryMb} MiB memory limit`;
      break;
    case "aborted":
      s = `aborted after ${t} s`;
      break;
    default:
      if (r.signal === "SIGXCPU") s = `killed after ${t} s by the CPU-time limit`;
      else if (r.signal) s = `died of ${r.signal} after ${t} s`;
      else s = `exited ${r.exitCode ?? "?"} in ${t} s`;
  }
  if (extra.pidsLimitHit) s += `; hit the ${limits.maxProcesses}-process limit`;
  return s;
}

function describeSubmission(o: SubmissionOutcome): string {
  if (o.kind === "copied") return "wrote submission.csv";
  if (o.kind === "missing") return "no submission.csv";
  return `submission.csv refused: ${o.reason}`;
}

/** Turns a supervised run into the ExecResult and writes stdout.txt, stderr.txt, result.json (and submission.csv) into outDir. */
export function finishRun(opts: {
  outDir: string;
  limits: ExecLimits;
  raw: RawOutcome;
  submissionDir: string;
  cgroup?: RunCgroup;
  notes: string[];
  /** Largest submission.csv copied out (default: the file-size limit). */
  maxSubmissionBytes?: number;
  cpuLimit?: ExecResult["cpuLimit"];
}): ExecResult {
  const { raw, limits, cgroup } = opts;
  const memoryLimitHit = cgroup?.oomKilled() ?? false;
  const pidsLimitHit = cgroup?.pidsLimitHit() ?? false;
  const killed = raw.killed ?? (memoryLimitHit ? "memory" : null);
  const submission = copySubmission(opts.submissionDir, opts.outDir, opts.maxSubmissionBytes ?? limits.maxFileSizeMb * 1024 * 1024);
  const notes = [...opts.notes];
  if (submission.kind === "rejected") notes.push(`submission.csv refused: ${submission.reason}`);
  if (pidsLimitHit) notes.push(`the program tried to exceed ${limits.maxProcesses} processes`);
  if (memoryLimitHit) notes.push(`the memory limit (${limits.memoryMb} MiB) was reached and the kernel killed a process`);
  if (/\bMemoryError\b/.test(raw.stderr.text)) notes.push("the program raised MemoryError (memory limit)");
  const base = {
    exitCode: raw.exitCode,
    signal: raw.signal,
    timedOut: raw.timedOut,
    killed,
    wallSec: raw.wallSec,
  };
  // The cgroup's counters when there are groups (the program cannot touch them); otherwise the launcher's
  // wait4 figures of the reaped tree.
  const cpuSec = cgroup?.cpuSec() ?? raw.report?.cpuSec ?? null;
  const peakMemoryMb = cgroup?.peakMemoryMb() ?? (raw.report ? raw.report.maxRssKb / 1024 : null);
  const result: ExecResult = {
    ...base,
    cpuSec,
    peakMemoryMb,
    stdout: raw.stdout,
    stderr: raw.stderr,
    submissionPath: submission.kind === "copied" ? submission.path : null,
    cpuLimit: opts.cpuLimit ?? null,
    summary: `${describeEnd(base, limits, { memoryLimitHit, pidsLimitHit })}; ${describeSubmission(submission)}`,
    notes,
  };
  writeFileSync(join(opts.outDir, "stdout.txt"), raw.stdout.text);
  writeFileSync(join(opts.outDir, "stderr.txt"), raw.stderr.text);
  writeFileSync(join(opts.outDir, "result.json"), `${JSON.stringify({ ...result, limits }, null, 2)}\n`);
  return result;
}
