/**
 * Vega-Lite → Vega → SVG → PNG without a browser: vega's headless View renders SVG, resvg rasterises it.
 *
 * resvg draws no text without a font. It loads the system's fonts when there are any, plus the DejaVu Sans
 * files shipped in the `dejavu-fonts-ttf` npm package, so text renders on a bare machine too; the charts name
 * that family (charts.ts REPORT_FONT), so every machine draws the same glyphs.
 */
import { Resvg } from "@resvg/resvg-js";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { REPORT_FONT } from "./charts.js";

export interface Rendered {
  svg: string;
  png: Buffer;
  width: number;
  height: number;
}

let fontFiles: string[] | undefined;

/** The DejaVu Sans files shipped in node_modules (regular and bold: titles are bold). */
export function bundledFontFiles(): string[] {
  if (fontFiles) return fontFiles;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
  } catch {
    return (fontFiles = []);
  }
  fontFiles = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((f) => join(dir, f)).filter((p) => existsSync(p));
  return fontFiles;
}

/** Vega-Lite spec → SVG string (no browser, no canvas: vega estimates text widths). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** SVG → PNG at `scale` (1 = the SVG's own pixel size). */
export function svgToPng(svg: string, scale = 1): { png: Buffer; width: number; height: number } {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: {
      loadSystemFonts: true,
      fontFiles: bundledFontFiles(),
      defaultFontFamily: REPORT_FONT,
      sansSerifFamily: REPORT_FONT,
    },
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

export async function renderChart(spec: TopLevelSpec, scale = 1): Promise<Rendered> {
  const svg = await toSvg(spec);
  return { svg, ...svgToPng(svg, scale) };
}
