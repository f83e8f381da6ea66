import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecLimits, ExecResult, Executor } from "../../src/sandbox/executor.js";
import { SANDBOX_UID_BASE } from "../../src/sandbox/uid-pool.js";

/** A task laid out like MLE-bench's prepared dir, with a secret only the private answers contain. */
export interface FakeTask {
  root: string;
  publicDir: string;
  privateDir: string;
  answersFile: string;
  secret: string;
}

export function makeTask(): FakeTask {
  const root = mkdtempSync(join(tmpdir(), "mlerl-sbx-test-"));
  const publicDir = join(root, "prepared", "public");
  const privateDir = join(root, "prepared", "private");
  mkdirSync(publicDir, { recursive: true });
  mkdirSync(privateDir, { recursive: true });
  writeFileSync(join(publicDir, "train.csv"), "id,x,y\n1,0.5,0\n2,1.5,1\n");
  writeFileSync(join(publicDir, "test.csv"), "id,x\n3,0.7\n");
  const secret = `ANSWER-SECRET-${process.pid}-${Date.now()}`;
  const answersFile = join(privateDir, "answers.csv");
  writeFileSync(answersFile, `id,y\n3,${secret}\n`);
  return { root, publicDir, privateDir, answersFile, secret };
}

let runCount = 0;

export async function runProgram(ex: Executor, task: FakeTask, code: string, limits: Partial<ExecLimits> = {}, extra: { env?: Record<string, string>; signal?: AbortSignal } = {}): Promise<{ r: ExecResult; outDir: string }> {
  const outDir = join(task.root, `out-${++runCount}`);
  const r = await ex.run({ code, publicDir: task.publicDir, outDir, limits: { timeoutSec: 20, ...limits }, ...extra });
  return { r, outDir };
}

/** Processes still running as a sandbox uid (none may survive a run). */
export function sandboxProcesses(): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${name}/status`, "utf8"));
      if (m && Number(m[1]) >= SANDBOX_UID_BASE && Number(m[1]) < SANDBOX_UID_BASE + 1_000_000) out.push(Number(name));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The host is unharmed: it can still start processes, and nothing of the sandbox is left running. */
export function assertHostFine(): void {
  const r = spawnSync("/bin/sh", ["-c", "echo alive"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "alive\n");
  assert.deepEqual(sandboxProcesses(), [], "no process of the sandbox survives the run");
}
