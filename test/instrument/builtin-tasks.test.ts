/**
 * On the built-in tasks, the instrumented reference solutions write byte-identical submissions and the same
 * output as the originals, reach training, prediction and the submission, and report the validation metric
 * they print.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { parseMarkers, stripMarkers } from "../../src/instrument/markers.js";
import { repoRoot } from "../../src/paths.js";
import { BUILTIN_TASK_IDS, prepareTasks, taskPaths } from "../../src/tasks/registry.js";
import { cleanup, runProgram, type Run } from "./run.js";

const inst = new AstInstrumenter();
const dataDir = mkdtempSync(join(tmpdir(), "mlerl-instr-tasks-"));
const results = new Map<string, { plain: Run; launched: Run; nonce: string; code: string }>();

before(async () => {
  await prepareTasks([...BUILTIN_TASK_IDS], dataDir, () => {});
  const queue = [...BUILTIN_TASK_IDS];
  const worker = async () => {
    for (let id = queue.shift(); id; id = queue.shift()) {
      const original = readFileSync(join(repoRoot(), "tasks", "reference", id, "baseline.py"), "utf8");
      const code = original.replaceAll("/home/data", "{DATA}").replaceAll("/home/submission", "{SUB}");
      const nonce = newNonce();
      const r = await inst.instrument(code, nonce);
      const publicDir = taskPaths(id, dataDir).publicDir;
      const plain = await runProgram(code, { publicDir });
      const launched = await runProgram(code, { publicDir, launch: { sites: r.sites, nonce } });
      results.set(id, { plain, launched, nonce, code });
    }
  };
  await Promise.all([worker(), worker()]);
});

after(async () => {
  for (const { plain, launched } of results.values()) {
    cleanup(plain);
    cleanup(launched);
  }
  rmSync(dataDir, { recursive: true, force: true });
  await inst.close();
});

for (const id of BUILTIN_TASK_IDS) {
  test(`${id}: the instrumented baseline writes the same submission and output`, () => {
    const { plain, launched, nonce } = results.get(id)!;
    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.equal(launched.exitCode, 0, launched.stderr);
    const sub = plain.files["submission/submission.csv"];
    assert.ok(sub && sub.length > 0, "the baseline wrote a submission");
    assert.equal(launched.files["submission/submission.csv"], sub, "byte-identical submission");
    assert.deepEqual(launched.files, plain.files);
    assert.equal(stripMarkers(launched.stdout, nonce), plain.stdout);
    assert.equal(launched.stderr, plain.stderr);
    const report = parseMarkers(launched.stdout, nonce);
    // Every baseline imports, loads, prints a validation metric and writes a submission; those that fit a model
    // (the tweet baseline predicts the whole tweet, no model) also train and predict.
    const { code } = results.get(id)!;
    const fits = /\.fit\(/.test(code);
    const expected = [
      "imports",
      "data_loaded",
      "submission_written",
      "validation_metric",
      ...(fits ? (["model_trained", "predictions_made"] as const) : []),
    ] as const;
    for (const m of expected) {
      assert.ok(report.milestones.includes(m), `${m} reached (got ${report.milestones.join(", ")})`);
    }
    const printed = [...plain.stdout.matchAll(/validation [^:\n]*: (-?[0-9.]+)/g)].pop();
    assert.ok(printed, "the baseline printed its validation metric");
    assert.ok(Math.abs(report.validationMetric! - Number(printed[1])) < 1e-4, `metric ${report.validationMetric} vs printed ${printed[1]}`);
  });
}
