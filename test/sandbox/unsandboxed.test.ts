import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { UnsandboxedExecutor, rewriteContainerPaths, NO_ISOLATION_WARNING } from "../../src/sandbox/unsandboxed-executor.js";
import { createExecutor } from "../../src/sandbox/index.js";
import { makeTask, removeTestDirs, runProgram } from "./helpers.js";

after(removeTestDirs);

test("container paths in the program text are rewritten to real directories", () => {
  const code =
    'a = "/home/data/train.csv"\nb = "/home/submission/submission.csv"\nc = "/home/work"\nd = "/home/database"\ne = \'/home/data\'\n';
  const out = rewriteContainerPaths(code, { data: "/D$&", submission: "/S", work: "/W" });
  assert.equal(out, 'a = "/D$&/train.csv"\nb = "/S/submission.csv"\nc = "/W"\nd = "/home/database"\ne = \'/D$&\'\n');
});

test("the unsandboxed executor runs a sandbox-style program unchanged, with limits", async () => {
  const task = makeTask();
  const ex = new UnsandboxedExecutor();
  const code = `
import os, pandas as pd
t = pd.read_csv("/home/data/test.csv")
t.assign(y=1).to_csv("/home/submission/submission.csv", index=False)
print(os.environ["OMP_NUM_THREADS"], os.getcwd())
`;
  const { r } = await runProgram(ex, task, code, { threads: 2 });
  assert.equal(r.exitCode, 0, r.stderr.text);
  const [threads, cwd] = r.stdout.text.trim().split(" ");
  assert.equal(threads, "2");
  assert.ok(cwd?.startsWith(tmpdir()) && cwd.endsWith("/work"), cwd);
  assert.equal(readFileSync(r.submissionPath!, "utf8"), "id,x,y\n3,0.7,1\n");
  assert.ok((r.notes ?? []).some((n) => /without isolation/.test(n)));

  const { r: loop } = await runProgram(
    ex,
    task,
    "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\nwhile True: pass\n",
    { timeoutSec: 1 },
  );
  assert.equal(loop.killed, "timeout");
});

test("opting out of isolation is announced loudly", () => {
  const lines: string[] = [];
  const ex = createExecutor({ isolation: false, warn: (l) => lines.push(l) });
  assert.equal(ex.name, "unsandboxed");
  assert.deepEqual(lines, [NO_ISOLATION_WARNING]);
  assert.match(NO_ISOLATION_WARNING, /NOT a security boundary/);
});
