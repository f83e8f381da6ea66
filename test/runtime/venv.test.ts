import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findAgentPython, requireAgentPython, venvDir } from "../../src/runtime/venv.js";
import { UserError } from "../../src/errors.js";

test("the agent venv set up by scripts/setup.sh has every pinned package importable", () => {
  const py = requireAgentPython();
  const r = spawnSync(py.python, ["-c", "import numpy, pandas, scipy, sklearn, lightgbm, xgboost; print(sklearn.__version__)"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+/);
});

test("a home without a venv reports it missing with a fix", () => {
  const env = { MLERL_HOME: mkdtempSync(join(tmpdir(), "mlerl-home-")) };
  assert.equal(findAgentPython(env), undefined);
  assert.ok(venvDir(env).startsWith(env.MLERL_HOME));
  assert.throws(
    () => requireAgentPython(env),
    (e: unknown) => e instanceof UserError && /mlerl setup/.test(e.hint ?? ""),
  );
});
