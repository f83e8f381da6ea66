// Sandbox overhead: median wall time of a one-second Python program run through the bubblewrap executor
// (uid lease, cgroups, bwrap, output capture, result files) against the same program run by the bare venv
// Python, interleaved in one run so machine load affects both alike. Target: < 100 ms per run.
// Then, for reference, the whole `mlerl exec` command on a built-in task (CLI start-up, task lookup, sandbox,
// grading) against the same bare run; EXEC_REPS=0 skips it. MEASURE=launcher measures the launcher path.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BwrapExecutor } from "../src/sandbox/bwrap-executor.js";
import { requireAgentPython } from "../src/runtime/venv.js";
import { repoRoot } from "../src/paths.js";

const reps = Number(process.env.REPS ?? 11);
const execReps = Number(process.env.EXEC_REPS ?? 3);
const EXEC_TASK = "mini-tabular-playground-series-may-2022";
const PROGRAM = `import time
t = time.monotonic()
while time.monotonic() - t < 1.0:
    time.sleep(0.001)
print("done")
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function bare(python: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(python, [file], { stdio: ["ignore", "pipe", "pipe"], env: { PYTHONUNBUFFERED: "1", PATH: "/usr/bin:/bin" } });
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`bare run exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const py = requireAgentPython();
  // MEASURE=launcher: the path of machines without writable cgroups (one more interpreter start per run).
  const ex = new BwrapExecutor({ measure: process.env.MEASURE === "launcher" ? "launcher" : "auto" });
  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-sandbox-"));
  const publicDir = join(dir, "public");
  mkdirSync(publicDir);
  writeFileSync(join(publicDir, "train.csv"), "id,x\n1,2\n");
  const file = join(dir, "program.py");
  writeFileSync(file, PROGRAM);
  const sandboxed: number[] = [];
  const plain: number[] = [];
  try {
    // One warm-up of each (page cache, first bwrap start).
    await bare(py.python, file);
    await ex.run({ code: PROGRAM, publicDir, outDir: join(dir, "warm") });
    for (let i = 0; i < reps; i++) {
      const order = i % 2 === 0 ? ["bare", "sandbox"] : ["sandbox", "bare"];
      for (const which of order) {
        if (which === "bare") plain.push(await bare(py.python, file));
        else {
          const t0 = process.hrtime.bigint();
          const r = await ex.run({ code: PROGRAM, publicDir, outDir: join(dir, `run-${i}`) });
          if (r.exitCode !== 0) throw new Error(`sandboxed run failed: ${r.summary}\n${r.stderr.text}`);
          sandboxed.push(Number(process.hrtime.bigint() - t0) / 1e9);
        }
      }
    }
    report(plain, sandboxed, `${ex.describe()}${process.env.MEASURE === "launcher" ? ", launcher path" : ""}`);
    if (execReps > 0) await cliComparison(py.python, file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(plain: number[], sandboxed: number[], describe: string): void {
  const mb = median(plain);
  const ms = median(sandboxed);
  const overheadMs = (ms - mb) * 1000;
  console.log(`sandbox overhead (${describe}), ${reps} interleaved repetitions of a 1 s program`);
  console.log(
    `  bare venv python   median ${(mb * 1000).toFixed(1)} ms   (min ${(Math.min(...plain) * 1000).toFixed(1)}, max ${(Math.max(...plain) * 1000).toFixed(1)})`,
  );
  console.log(
    `  bwrap executor     median ${(ms * 1000).toFixed(1)} ms   (min ${(Math.min(...sandboxed) * 1000).toFixed(1)}, max ${(Math.max(...sandboxed) * 1000).toFixed(1)})`,
  );
  console.log(
    `  overhead           ${overheadMs.toFixed(1)} ms per execution, ratio ${(ms / mb).toFixed(3)}   (target < 100 ms: ${overheadMs < 100 ? "met" : "NOT met"})`,
  );
}

async function cliComparison(python: string, file: string, dir: string): Promise<void> {
  const bin = join(repoRoot(), "bin", "mlerl");
  const dataDir = join(dir, "data");
  const prep = spawnSync(bin, ["--data-dir", dataDir, "tasks", "prepare", EXEC_TASK], { encoding: "utf8" });
  if (prep.status !== 0) throw new Error(`cannot prepare ${EXEC_TASK}: ${prep.stderr}`);
  const cli: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < execReps; i++) {
    plain.push(await bare(python, file));
    const t0 = process.hrtime.bigint();
    // Exit status 1 is expected: the program writes no submission.
    const r = spawnSync(
      bin,
      ["--data-dir", dataDir, "exec", "--task", EXEC_TASK, "--code", file, "--out", join(dir, `cli-${i}`), "--json"],
      { encoding: "utf8" },
    );
    cli.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (!r.stdout.includes('"exitCode": 0')) throw new Error(`mlerl exec failed: ${r.stderr}`);
  }
  const mb = median(plain);
  const mc = median(cli);
  console.log(`mlerl exec end to end (node start-up, task lookup, sandbox, grading), ${execReps} repetitions`);
  console.log(`  bare venv python   median ${(mb * 1000).toFixed(1)} ms`);
  console.log(
    `  mlerl exec         median ${(mc * 1000).toFixed(1)} ms   difference ${((mc - mb) * 1000).toFixed(1)} ms, ratio ${(mc / mb).toFixed(3)}`,
  );
}

await main();
