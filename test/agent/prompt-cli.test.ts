import { test, before } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { repoRoot } from "../../src/paths.js";
import { prepareTasks } from "../../src/tasks/registry.js";
import { tempDir } from "./tmp.js";

const TASK = "mini-nomad2018-predict-transparent-conductors";
let dataDir = "";

before(async () => {
  dataDir = tempDir("mlerl-prompt-cli-");
  await prepareTasks([TASK], dataDir, () => {});
});

/** Run the real CLI in a subprocess (capturing this process's stdout would swallow the test reporter's). */
function cli(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(join(repoRoot(), "bin", "mlerl"), ["--data-dir", dataDir, ...args], { encoding: "utf8" });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test("mlerl prompt prints the scratch prompt of a prepared task with its data overview", async () => {
  const r = cli(["prompt", "--task", TASK, "--time-limit", "300"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mean column-wise RMSLE/);
  assert.match(r.out, /5 minutes/);
  assert.match(r.out, /\ntrain\.csv: [\d,]+ rows, 14 columns: id \(int\)/);
  assert.match(r.out, /\/home\/submission\/submission\.csv/);
});

test("mlerl prompt --kind improve shows the given program and output; user templates are checked", async () => {
  const dir = tempDir("mlerl-prompt-cli-files-");
  writeFileSync(join(dir, "main.py"), "import pandas as pd\nprint('hello')\n");
  writeFileSync(join(dir, "out.txt"), "Traceback: ValueError\n");
  const r = cli(["prompt", "--task", TASK, "--kind", "improve", "--code", join(dir, "main.py"), "--output", join(dir, "out.txt")]);
  assert.equal(r.code, 0, r.err);
  assert.ok(r.out.includes("import pandas as pd\nprint('hello')\n```"));
  assert.ok(r.out.includes("Traceback: ValueError"));

  const mine = join(dir, "prompts");
  mkdirSync(mine);
  writeFileSync(join(mine, "scratch.md"), "Task: {{task_description}} in {{time_limt}}\n");
  const bad = cli(["prompt", "--task", TASK, "--prompts", mine]);
  assert.equal(bad.code, 2);
  assert.ok(bad.err.includes(`${join(mine, "scratch.md")} uses an unknown placeholder {{time_limt}}`), bad.err);
  assert.match(bad.err, /fix: .*\{\{time_limit\}\}/);

  const noCode = cli(["prompt", "--task", TASK, "--kind", "improve"]);
  assert.equal(noCode.code, 2);
  assert.match(noCode.err, /--code FILE/);
});
