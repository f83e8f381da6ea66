import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_SEED, BUILTIN_TASKS } from "../../src/tasks/builtin/index.js";
import { loadCalibration, thresholdsFromReferences } from "../../src/tasks/builtin/calibration.js";

/**
 * The committed calibration (scripts/calibrate-thresholds.ts) must match the current generators and show a real
 * spread: the strong reference is better than the medium one, which is better than the baseline.
 */
for (const task of BUILTIN_TASKS) {
  const id = task.spec.id;
  test(`${id}: committed calibration is current, ordered and derives the spec's thresholds`, () => {
    const entry = loadCalibration().tasks[id];
    assert.ok(entry, `${id} has no calibration: run scripts/calibrate-thresholds.ts ${id}`);
    assert.equal(entry.version, task.version, `${id} was calibrated for generator version ${entry.version}; recalibrate`);
    assert.equal(entry.seed, BUILTIN_SEED);
    const score = (name: string) => {
      const s = entry.runs.find((r) => r.solution === name)?.score;
      assert.ok(typeof s === "number", `${id}: no score for ${name}`);
      return s;
    };
    const [baseline, medium, strong] = [score("baseline"), score("medium"), score("strong")];
    const better = (a: number, b: number) => (task.spec.lowerIsBetter ? a < b : a > b);
    assert.ok(better(strong, medium) && better(medium, baseline), `${id}: ${baseline} / ${medium} / ${strong}`);
    assert.deepEqual(entry.thresholds, thresholdsFromReferences({ baseline, medium, strong }));
    assert.deepEqual(task.spec.thresholds, entry.thresholds);
  });
}
