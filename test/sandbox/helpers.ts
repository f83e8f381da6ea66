import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecLimits, ExecResult, Executor } from "../../src/sandbox/executor.js";
import { leasedUids, uidInUse } from "../../src/sandbox/uid-pool.js";
import { detectCgroups } from "../../src/sandbox/cgroup.js";
import { probeIsolation } from "../../src/sandbox/probe.js";

/** A task laid out like MLE-bench's prepared dir, with a secret only the private answers contain. */
export interface FakeTask {
  root: string;
  publicDir: string;
  privateDir: string;
  answersFile: string;
  secret: string;
}

const created: string[] = [];

/** A temporary directory removed by removeTestDirs(). */
export function testDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

/** Removes every directory testDir() and makeTask() made (call from an `after` hook). */
export function removeTestDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function makeTask(): FakeTask {
  const root = testDir("mlerl-sbx-test-");
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

/**
 * Why sandboxed tests cannot run here (false when they can). Only machines where bubblewrap cannot work skip
 * them, and the reason, with its fix, appears in the test output.
 */
export const sandboxUnavailable: false | string = (() => {
  const p = probeIsolation();
  return p.works ? false : `no usable sandbox: ${p.problem?.message ?? "unknown"} (fix: ${p.problem?.fix ?? "run mlerl doctor"})`;
})();

let runCount = 0;

export async function runProgram(
  ex: Executor,
  task: FakeTask,
  code: string,
  limits: Partial<ExecLimits> = {},
  extra: { env?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ r: ExecResult; outDir: string }> {
  const outDir = join(task.root, `out-${++runCount}`);
  const r = await ex.run({ code, publicDir: task.publicDir, outDir, limits: { timeoutSec: 20, ...limits }, ...extra });
  return { r, outDir };
}

/**
 * Processes of sandboxes this test process ran that are still alive. Other programs on the machine may run
 * sandboxes at the same time, so only uids we leased and nobody holds now count, plus our own run cgroups.
 */
export function leftovers(): string[] {
  const ours = new Set(leasedUids().filter((u) => !uidInUse(u)));
  const out: string[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const m = /^Uid:\s+(\d+)/m.exec(status);
      // Zombies are dead already; the host's init reaps them a moment later.
      const dead = /^State:\s+[ZX]/m.test(status);
      if (m && ours.has(Number(m[1])) && !dead) out.push(`process ${name} (uid ${m[1]}): ${/^State:.*$/m.exec(status)?.[0] ?? ""}`);
    } catch {
      /* gone */
    }
  }
  const cg = detectCgroups();
  for (const parent of new Set([cg.pids?.parent, cg.memory?.parent, cg.cpuacct?.parent])) {
    if (!parent) continue;
    for (const n of readdirSync(parent)) if (n.startsWith(`mlerl-sandbox-${process.pid}-`)) out.push(`cgroup ${join(parent, n)}`);
  }
  return out;
}

/** The host is unharmed: it can still start processes, and nothing of the sandbox is left running. */
export function assertHostFine(): void {
  const r = spawnSync("/bin/sh", ["-c", "echo alive"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "alive\n");
  assert.deepEqual(leftovers(), [], "nothing of the sandbox survives the run");
}
