/**
 * Builds src/ into dist/ as plain JavaScript (one file per module, ESM, source maps), so `bin/mlerl` starts
 * without compiling TypeScript on every call. Type checking is the test command's job (tsc); this only
 * transpiles, in about a second. JSON modules and .mjs files are copied beside the code that imports them. The new tree is
 * built aside and swapped in, so a command starting meanwhile sees the old build or the new one, never half.
 */
import { build } from "esbuild";
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { bundleWeb } from "../src/dashboard/bundle.js";

const root = join(dirname(new URL(import.meta.url).pathname), "..");
const src = join(root, "src");
const dist = join(root, "dist");

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(ext))
    .map((e) => join(e.parentPath, e.name));
}

const staging = `${dist}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
await build({
  // Declaration files (.d.ts) hold types only: nothing to transpile.
  entryPoints: filesUnder(src, ".ts").filter((f) => !f.endsWith(".d.ts")),
  outdir: staging,
  outbase: src,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  bundle: false,
  logLevel: "warning",
  // JSON modules need their import attribute at run time; esbuild drops it for older targets unless told.
  supported: { "import-attributes": true },
});
// JSON modules and plain JavaScript entry points (a worker thread's boot file) travel as they are.
for (const json of [...filesUnder(src, ".json"), ...filesUnder(src, ".mjs")]) {
  const to = join(staging, relative(src, json));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(json, to);
}
// The dashboard's page: one script and one style sheet for the browser.
await bundleWeb(join(src, "dashboard", "web"), join(staging, "dashboard", "web"));
writeFileSync(join(staging, ".built"), `${new Date().toISOString()}\n`);
const old = `${dist}.old-${process.pid}`;
if (existsSync(dist)) renameSync(dist, old);
renameSync(staging, dist);
rmSync(old, { recursive: true, force: true });
