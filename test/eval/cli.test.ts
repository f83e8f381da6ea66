import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { EvalResult } from "../../src/eval/result.js";
import { repoRoot } from "../../src/paths.js";
import { RunStore } from "../../src/store/run-store.js";
import { TASK, tempDir } from "./fixtures.js";

const root = tempDir("mlerl-eval-cli-");
const bin = join(repoRoot(), "bin", "mlerl");
const mlerl = (args: string[]) => spawnSync(bin, ["--data-dir", join(root, "data"), ...args], { encoding: "utf8", timeout: 300_000 });

function refused(args: string[], message: RegExp) {
  const r = mlerl(args);
  assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /fix:/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");
}

test("user mistakes are refused with the fix", () => {
  refused(["eval", "--task", TASK], /exactly one policy/);
  refused(["eval", "--untrained", "--task", TASK], /--out DIR is required/);
  // An unknown method is refused by the argument parser, which names the value and the choices instead of a fix line.
  const greedy = mlerl(["baseline", "greedy", "--budget-executions", "2"]);
  assert.equal(greedy.status, 2, greedy.stderr);
  assert.match(greedy.stderr, /'greedy' is invalid for argument 'method'/);
  assert.match(greedy.stderr, /choices are aide, random/);
  assert.doesNotMatch(greedy.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");
  refused(["baseline", "random", "--task", TASK], /no budget given/);
});

test("mlerl eval --untrained and mlerl baseline random run for real and print eval.json", () => {
  const out = join(root, "untrained");
  const e = mlerl(["eval", "--untrained", "--task", TASK, "--out", out, "--timeout", "20", "--executors", "1", "--json"]);
  assert.equal(e.status, 0, e.stderr);
  const evalResult = EvalResult.parse(JSON.parse(e.stdout));
  assert.equal(evalResult.method, "untrained");
  assert.equal(evalResult.tasks[0]?.attempts.length, 1);
  assert.ok(existsSync(join(out, "eval.json")));
  assert.match(e.stderr, /\[1\/1\] .* seed 0 sample 0: kept (scratch|improve)/);

  const runDir = join(root, "random");
  const b = mlerl(["baseline", "random", "--task", TASK, "--budget-executions", "1", "--timeout", "20", "--run-dir", runDir]);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`random: 1 seed\\(s\\)[\\s\\S]*${TASK}`));
  const store = RunStore.openReadonly(runDir);
  try {
    assert.equal(store.rollouts().length, 1);
    assert.equal(store.getMeta("method"), "random");
  } finally {
    store.close();
  }
});
