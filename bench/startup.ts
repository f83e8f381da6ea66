// CLI start-up: `bin/mlerl --version` and `bin/mlerl grade --help` (the built JavaScript, commands loaded on
// demand) against the same commands run from the TypeScript sources through tsx, as every call did before the
// build step; interleaved in one run so machine load affects both alike. Target: `mlerl --version` < 0.3 s.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "../src/paths.js";

const reps = Number(process.env.REPS ?? 9);
const root = repoRoot();
const tsx = `file://${join(root, "node_modules", "tsx", "dist", "esm", "index.mjs")}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function seconds(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// The first call builds dist/ if a source changed; it is not measured.
seconds(join(root, "bin", "mlerl"), ["--version"]);
for (const args of [["--version"], ["grade", "--help"], ["train", "--help"]]) {
  const built: number[] = [];
  const source: number[] = [];
  for (let i = 0; i < reps; i++) {
    built.push(seconds(join(root, "bin", "mlerl"), args));
    source.push(seconds(process.execPath, ["--import", tsx, join(root, "src", "cli", "main.ts"), ...args]));
  }
  const b = median(built);
  const s = median(source);
  console.log(
    `mlerl ${args.join(" ").padEnd(12)}  built ${b.toFixed(3)} s  from source ${s.toFixed(3)} s  ratio ${(s / b).toFixed(1)}×  (median of ${reps})${args[0] === "--version" ? `  target < 0.3 s: ${b < 0.3 ? "met" : "NOT met"}` : ""}`,
  );
}
