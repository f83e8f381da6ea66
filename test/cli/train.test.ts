import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../src/paths.js";
import { RunStore } from "../../src/store/run-store.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-train-cli-"));
after(() => rmSync(root, { recursive: true, force: true }));
const bin = join(repoRoot(), "bin", "mlerl");

function mlerl(args: string[]) {
  return spawnSync(bin, ["--data-dir", join(root, "data"), ...args], { encoding: "utf8", timeout: 600_000 });
}

test("simulated training: JSON summary, duration weights recorded per update, and a resume that continues the budget", () => {
  const runDir = join(root, "sim");
  const r = mlerl([
    "train",
    "--executor",
    "simulate",
    "--rollouts",
    "600",
    "--executors",
    "32",
    "--batch",
    "32",
    "--run-dir",
    runDir,
    "--json",
  ]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { rollouts: number; updates: number; executorUtilisation: number };
  assert.equal(s.rollouts, 600);
  assert.ok(s.updates >= 17);
  const store = RunStore.openReadonly(runDir);
  const u = store.updates()[0]!.stats;
  assert.equal(u.weights.length, 32);
  store.close();

  const again = mlerl(["train", "--run-dir", runDir]);
  assert.equal(again.status, 2, "a second start on the same dir is refused");
  assert.match(again.stderr, /already holds a run[\s\S]*--resume/);
  assert.doesNotMatch(again.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");

  const more = mlerl(["train", "--resume", runDir, "--json"]);
  assert.equal(more.status, 0, more.stderr);
  assert.equal((JSON.parse(more.stdout) as { rollouts: number }).rollouts, 600, "the stored budget is already spent");
});

test("bad flags and unknown runs are user errors that name the fix", () => {
  const bad = mlerl(["train", "--batch", "zero"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--batch\b.*'zero'.*expected an integer/, "names the flag, the value and what it takes");
  assert.match(bad.stderr, /--help/);
  const zero = mlerl(["train", "--batch", "0", "--run-dir", join(root, "zero")]);
  assert.equal(zero.status, 2);
  assert.match(zero.stderr, /--batch: .*>0 \(got 0\)/, "names the flag and the range it takes");
  assert.match(zero.stderr, /fix: /);
  assert.doesNotMatch(zero.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");
  assert.ok(!existsSync(join(root, "zero", "run.sqlite")), "a bad flag leaves no run behind");
  const typo = mlerl(["train", "--task", "mini-leaf-clasification", "--rollouts", "2", "--run-dir", join(root, "typo")]);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /mini-leaf-classification/);
  assert.ok(!existsSync(join(root, "typo")), "a typo leaves no run directory behind");
  const none = mlerl(["train", "--resume", join(root, "nothing-here")]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no run\.sqlite/);
  assert.ok(!existsSync(join(root, "nothing-here")), "a failed resume creates nothing");
});

test("a short real run of the fragment LM in the sandbox trains, records every rollout and checkpoints", () => {
  const runDir = join(root, "real");
  const r = mlerl([
    "train",
    "--task",
    "mini-leaf-classification",
    "--rollouts",
    "6",
    "--batch",
    "3",
    "--executors",
    "2",
    "--run-dir",
    runDir,
    "--json",
  ]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { rollouts: number; updates: number; policyVersion: number };
  assert.equal(s.rollouts, 6);
  assert.equal(s.updates, 2);
  assert.equal(s.policyVersion, 8, "two updates of four PPO epochs each");
  const store = RunStore.openReadonly(runDir);
  const rows = store.rollouts();
  assert.equal(rows.length, 6);
  for (const row of rows) {
    assert.ok(existsSync(join(runDir, "rollouts", String(row.id), "program.py")));
    assert.ok(existsSync(join(runDir, "rollouts", String(row.id), "reward.json")));
  }
  const last = store.latestUpdate()!;
  assert.ok(last.checkpoint && existsSync(join(last.checkpoint, "policy.json")));
  store.close();
});
