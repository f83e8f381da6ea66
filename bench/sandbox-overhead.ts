// Sandbox overhead: median wall time of a one-second Python program run through the bubblewrap executor
// (uid lease, cgroups, bwrap, launcher, output capture, result files) against the same program run by the
// bare venv Python, interleaved in one run so machine load affects both alike. Target: < 100 ms per run.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BwrapExecutor } from "../src/sandbox/bwrap-executor.js";
import { requireAgentPython } from "../src/runtime/venv.js";

const reps = Number(process.env.REPS ?? 11);
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
    child.on("close", (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`bare run exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const py = requireAgentPython();
  const ex = new BwrapExecutor();
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mb = median(plain);
  const ms = median(sandboxed);
  const overheadMs = (ms - mb) * 1000;
  console.log(`sandbox overhead (${ex.describe()}), ${reps} interleaved repetitions of a 1 s program`);
  console.log(`  bare venv python   median ${(mb * 1000).toFixed(1)} ms   (min ${(Math.min(...plain) * 1000).toFixed(1)}, max ${(Math.max(...plain) * 1000).toFixed(1)})`);
  console.log(`  bwrap executor     median ${(ms * 1000).toFixed(1)} ms   (min ${(Math.min(...sandboxed) * 1000).toFixed(1)}, max ${(Math.max(...sandboxed) * 1000).toFixed(1)})`);
  console.log(`  overhead           ${overheadMs.toFixed(1)} ms per execution, ratio ${(ms / mb).toFixed(3)}   (target < 100 ms: ${overheadMs < 100 ? "met" : "NOT met"})`);
}

await main();
