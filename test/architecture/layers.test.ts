import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

const root = join(dirname(new URL(import.meta.url).pathname), "..", "..");
const src = join(root, "src");

/** The floors of docs/architecture.md: folder (or root file) of src/ → floor number. */
function floors(): Map<string, number> {
  const doc = readFileSync(join(root, "docs", "architecture.md"), "utf8");
  const block = /<!-- layers:[^>]*-->\s*```text\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, "docs/architecture.md has a layers block");
  const out = new Map<string, number>();
  for (const line of block[1]!.trim().split("\n")) {
    const [floor, ...names] = line.trim().split(/\s+/);
    for (const name of names) out.set(name, Number(floor));
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** The folder of src/ a file is in (or its own name for files at the root of src/). */
function unitOf(file: string): string {
  const parts = relative(src, file).split("/");
  return parts.length > 1 ? parts[0]! : parts[0]!;
}

/** Relative imports of a module: static, re-exports and dynamic import() with a literal. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, ".ts"))));
}

test("every folder of src/ stands on a floor of docs/architecture.md", () => {
  const known = floors();
  const units = new Set(sourceFiles(src).map(unitOf));
  const missing = [...units].filter((u) => !known.has(u));
  assert.deepEqual(missing, [], `add these to the layers block of docs/architecture.md: ${missing.join(", ")}`);
});

test("no import climbs to a higher floor, and floors are not crossed sideways", () => {
  const known = floors();
  const bad: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = unitOf(file);
    for (const target of importsOf(file)) {
      if (!target.startsWith(src)) continue;
      const to = unitOf(target);
      if (to === from) continue;
      const a = known.get(from);
      const b = known.get(to);
      if (a === undefined || b === undefined) continue;
      if (b >= a) bad.push(`${relative(root, file)} (floor ${a}) imports ${relative(root, target)} (floor ${b})`);
    }
  }
  assert.deepEqual(bad, []);
});

test("the check sees an upward import when there is one", () => {
  // The parser itself, on text: a module of floor 1 importing one of floor 12 must be found.
  const fake = join(src, "core", "fake.ts");
  const specs = [
    ...`import { x } from "../cli/main.js";\nexport * from "./y.js";\nconst m = await import("../rl/loop.js");`.matchAll(
      /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g,
    ),
  ].map((m) => normalize(join(dirname(fake), m[1]!.replace(/\.js$/, ".ts"))));
  assert.deepEqual(specs.map(unitOf), ["cli", "core", "rl"]);
});
