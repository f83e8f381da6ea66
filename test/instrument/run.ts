/**
 * Test helper: runs a program in a fresh temp dir, either plainly (`python program.py`) or under the marker
 * launcher, the way an executor does. `{DATA}` and `{SUB}` in the program become the temp dir's data and
 * submission dirs (the sandbox's /home/data and /home/submission).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { launchArgs, launchStdin } from "../../src/instrument/launch.js";
import type { Site } from "../../src/instrument/types.js";

export interface Run {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  wallSec: number;
  /** Every file the program left in its dirs (relative path -> content). */
  files: Record<string, string>;
  dir: string;
}

export function prepareDir(): { dir: string; data: string; sub: string } {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-instr-"));
  const data = join(dir, "data");
  const sub = join(dir, "submission");
  mkdirSync(data);
  mkdirSync(sub);
  mkdirSync(join(dir, "work"));
  return { dir, data, sub };
}

export function fill(code: string, data: string, sub: string): string {
  return code.replaceAll("{DATA}", data).replaceAll("{SUB}", sub);
}

export const TRAIN_CSV = (() => {
  const rows = ["id,f_a,f_b,target"];
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 120; i++) {
    const a = rnd() * 2 - 1;
    const b = rnd() * 2 - 1;
    rows.push(`${i},${a.toFixed(4)},${b.toFixed(4)},${a + 0.3 * b + (rnd() - 0.5) * 0.8 > 0 ? 1 : 0}`);
  }
  return `${rows.join("\n")}\n`;
})();
export const TEST_CSV = (() => {
  const rows = ["id,f_a,f_b"];
  for (let i = 0; i < 40; i++) rows.push(`${1000 + i},${((i % 7) / 7 - 0.5).toFixed(4)},${((i % 5) / 5 - 0.5).toFixed(4)}`);
  return `${rows.join("\n")}\n`;
})();

function listFiles(root: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, listFiles(root, p));
    else out[p] = readFileSync(join(root, p), "utf8");
  }
  return out;
}

/**
 * Runs `code` (with {DATA}/{SUB} filled in). With `launch`, the original is written to work/program.py and
 * run under the launcher with the plan on stdin; without, it runs as `python work/program.py`.
 */
export async function runProgram(
  code: string,
  opts: { launch?: { sites: Site[]; nonce: string }; timeoutSec?: number; publicDir?: string } = {},
): Promise<Run> {
  const { python } = requireAgentPython();
  const prepared = prepareDir();
  const { dir, sub } = prepared;
  let data = prepared.data;
  if (opts.publicDir)
    data = opts.publicDir; // a prepared task's public files, read in place
  else {
    writeFileSync(join(data, "train.csv"), TRAIN_CSV);
    writeFileSync(join(data, "test.csv"), TEST_CSV);
  }
  const program = join(dir, "work", "program.py");
  const source = fill(code, data, sub);
  writeFileSync(program, source);
  const args = opts.launch ? launchArgs(program) : [program];
  const started = process.hrtime.bigint();
  const child = spawn(python, args, {
    cwd: join(dir, "work"),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", PYTHONHASHSEED: "0", HOME: dir },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  child.stdin.end(opts.launch ? launchStdin(opts.launch.sites, opts.launch.nonce) : "");
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    },
    (opts.timeoutSec ?? 60) * 1000,
  );
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  // Files the program made; its own source and the inputs are not outputs.
  const files = listFiles(dir);
  delete files["work/program.py"];
  delete files["data/train.csv"];
  delete files["data/test.csv"];
  // Paths in outputs name the temp dir; make runs comparable.
  const norm = (s: string) => s.replaceAll(dir, "<DIR>").replaceAll(data, "<DATA>");
  return {
    stdout: norm(stdout),
    stderr: norm(stderr),
    exitCode,
    timedOut,
    wallSec,
    files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, norm(v)])),
    dir,
  };
}

export function cleanup(run: Run): void {
  rmSync(run.dir, { recursive: true, force: true });
}
