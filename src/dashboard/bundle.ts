/**
 * The page's script and style sheet, bundled by esbuild: at build time into dist/dashboard/web/ (scripts/build.ts),
 * or in memory when the dashboard runs from source. One small bundle, minified; uPlot is its one library.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Assets {
  js: string;
  css: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Written by scripts/build.ts beside the built module. */
const BUILT = { js: join(here, "web", "app.bundle.js"), css: join(here, "web", "app.bundle.css") };

/** Bundles src/dashboard/web/ (the entry points) with esbuild; `write` false keeps the output in memory. */
export async function bundleWeb(webDir: string, outDir: string | null): Promise<Assets> {
  const { build } = await import("esbuild");
  const result = await build({
    // main.ts imports app.css, so esbuild writes app.bundle.css beside app.bundle.js.
    entryPoints: { "app.bundle": join(webDir, "main.ts") },
    outdir: outDir ?? join(webDir, ".out"),
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    write: outDir !== null,
    logLevel: "warning",
    legalComments: "none",
  });
  if (outDir !== null)
    return { js: readFileSync(join(outDir, "app.bundle.js"), "utf8"), css: readFileSync(join(outDir, "app.bundle.css"), "utf8") };
  const js = result.outputFiles?.find((f) => f.path.endsWith(".js"))?.text ?? "";
  const css = result.outputFiles?.find((f) => f.path.endsWith(".css"))?.text ?? "";
  return { js, css };
}

/** The built assets, or a fresh bundle of the sources when there is no build beside this module. */
export async function loadAssets(): Promise<Assets> {
  if (existsSync(BUILT.js) && existsSync(BUILT.css)) return { js: readFileSync(BUILT.js, "utf8"), css: readFileSync(BUILT.css, "utf8") };
  return bundleWeb(join(here, "web"), null);
}
