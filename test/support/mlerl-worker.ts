/**
 * Real `bin/mlerl worker` processes for tests: each one's stderr is collected line by line, so a test can wait
 * for "job … started" and count how many times each job ran.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../../src/paths.js";

export const bin = join(repoRoot(), "bin", "mlerl");

export interface TestWorker {
  name: string;
  proc: ChildProcess;
  lines: string[];
  /** Resolves with the first line matching `re` (already printed or to come). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Jobs this worker started, by job id, in order. */
  started(): string[];
  finished(): string[];
  kill(sig?: NodeJS.Signals): Promise<void>;
}

export function startWorker(opts: {
  url: string;
  name: string;
  dataDir: string;
  slots?: number;
  stallSec?: number;
  env?: Record<string, string>;
}): TestWorker {
  const args = ["--data-dir", opts.dataDir, "worker", "--redis", opts.url, "--name", opts.name, "--slots", String(opts.slots ?? 1)];
  args.push("--stall-sec", String(opts.stallSec ?? 2));
  const proc = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...opts.env } });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let carry = "";
  proc.stderr!.on("data", (b: Buffer) => {
    const text = carry + b.toString("utf8");
    const parts = text.split("\n");
    carry = parts.pop() ?? "";
    lines.push(...parts);
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const jobs = (re: RegExp) => lines.map((l) => re.exec(l)?.[1]).filter((x): x is string => x !== undefined);
  return {
    name: opts.name,
    proc,
    lines,
    waitFor: (re, timeoutMs = 120_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit === undefined) return;
          listeners.delete(check);
          clearTimeout(t);
          resolve(hit);
        };
        const t = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`worker ${opts.name}: no line matching ${re} within ${timeoutMs / 1000} s:\n${lines.join("\n")}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    started: () => jobs(/job (\S+) started/),
    finished: () => jobs(/job (\S+) finished/),
    kill: async (sig = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
      await exited;
    },
  };
}

/** Runs `bin/mlerl` without blocking the event loop (workers' output keeps flowing meanwhile). */
export function mlerl(
  args: string[],
  opts: { timeoutMs?: number; onSpawn?: (p: ChildProcess) => void } = {},
): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout!.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    p.stderr!.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const t = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 900_000);
    opts.onSpawn?.(p);
    p.once("exit", (status, signal) => {
      clearTimeout(t);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** Polls `cond` until it holds; a hang guard, not a timing assertion. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
