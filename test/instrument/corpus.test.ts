/**
 * On real-world Python (a slice of the interpreter's own standard library and of scikit-learn), every
 * instrumented program passes the acceptance check: only marker lines added, each a statement of its own that
 * the launcher can compile.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { requireAgentPython } from "../../src/runtime/venv.js";

const inst = new AstInstrumenter();
after(() => inst.close());

function corpus(): string[] {
  const { python } = requireAgentPython();
  const r = spawnSync(
    python,
    ["-c", "import sysconfig, sklearn, os; print(sysconfig.get_paths()['stdlib']); print(os.path.dirname(sklearn.__file__))"],
    { encoding: "utf8" },
  );
  const [stdlib, sklearn] = r.stdout.trim().split("\n") as [string, string];
  const pick = (dir: string, every: number) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".py"))
      .sort()
      .filter((_, i) => i % every === 0)
      .map((f) => join(dir, f));
  return [...pick(stdlib, 6), ...pick(join(sklearn, "linear_model"), 2), ...pick(join(sklearn, "ensemble"), 2)];
}

test("instrumented real-world modules pass the acceptance check", async () => {
  const files = corpus();
  assert.ok(files.length > 40, `a real corpus (${files.length} files)`);
  let sites = 0;
  for (const file of files) {
    const code = readFileSync(file, "utf8");
    const nonce = newNonce();
    const r = await inst.instrument(code, nonce);
    assert.ok(r.parsed, `${file}: ${r.note}`);
    const verdict = await inst.accept(code, r.code, nonce);
    assert.ok(verdict.ok, `${file}: ${verdict.ok ? "" : verdict.reason}`);
    if (verdict.ok) assert.deepEqual(verdict.sites, r.sites, file);
    sites += r.sites.length;
  }
  assert.ok(sites > 100, `sites were placed (${sites})`);
});
