import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuiltinTask, PrepareDirs } from "../../../src/tasks/builtin/types.js";
import { readCsv, type CsvTable } from "../../../src/io/csv.js";
import { repoRoot } from "../../../src/paths.js";
import { requireAgentPython } from "../../../src/runtime/venv.js";

export interface Prepared extends PrepareDirs {
  root: string;
}

/** Generate a task into a fresh temporary dir laid out like MLE-bench's prepared dirs. */
export async function prepare(task: BuiltinTask, seed: number): Promise<Prepared> {
  const root = mkdtempSync(join(tmpdir(), "mlerl-text-"));
  const publicDir = join(root, "prepared", "public");
  const privateDir = join(root, "prepared", "private");
  mkdirSync(publicDir, { recursive: true });
  mkdirSync(privateDir, { recursive: true });
  await task.generate({ publicDir, privateDir }, seed);
  return { root, publicDir, privateDir };
}

/** File name -> sha256 for every file of a prepared task. */
export function digest(p: Prepared): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [side, dir] of [
    ["public", p.publicDir],
    ["private", p.privateDir],
  ] as const) {
    for (const name of readdirSync(dir).sort())
      out[`${side}/${name}`] = createHash("sha256")
        .update(readFileSync(join(dir, name)))
        .digest("hex");
  }
  return out;
}

export function table(dir: string, name: string): CsvTable {
  return readCsv(join(dir, name));
}

export function column(t: CsvTable, name: string): string[] {
  const j = t.header.indexOf(name);
  if (j < 0) throw new Error(`no column ${name} in ${t.header.join(",")}`);
  return t.rows.map((r) => r[j] as string);
}

/** Run Python code with the agent runtime on one thread; returns stdout, throws with stderr on failure. */
export function python(code: string, args: string[] = [], env: Record<string, string> = {}): string {
  const { python: py } = requireAgentPython();
  const r = spawnSync(py, ["-c", code, ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Run a reference solution of a task on a prepared copy; returns the dir holding its submission.csv and its stdout. */
export function runReference(taskId: string, solution: string, p: Prepared): { submissionDir: string; stdout: string } {
  const submissionDir = join(p.root, `submission-${solution}`);
  const code = readFileSync(join(repoRoot(), "tasks", "reference", taskId, `${solution}.py`), "utf8");
  const stdout = python(code, [], { DATA_DIR: p.publicDir, SUBMISSION_DIR: submissionDir });
  return { submissionDir, stdout };
}

/** Lower-cased alphabetic word tokens of a text. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[a-z]+(?:'[a-z]+)?/g) ?? [];
}
