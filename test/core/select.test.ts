import { test } from "node:test";
import assert from "node:assert/strict";
import { pickSubmission } from "../../src/core/select.js";

// Each candidate carries a hidden score the rule must never look at.
const c = (id: string, validSubmission: boolean, validationMetric: number | null, hidden = 0) => ({
  id,
  validSubmission,
  validationMetric,
  hidden,
});

test("the best printed metric among valid submissions wins, in the task's direction", () => {
  const xs = [c("a", true, 0.7, 0.9), c("b", true, 0.8, 0.1), c("c", false, 0.99, 1), c("d", true, null, 1)];
  assert.equal(pickSubmission(xs, false)?.id, "b");
  assert.equal(pickSubmission(xs, true)?.id, "a");
});

test("the hidden score never changes the pick", () => {
  const xs = [c("a", true, 0.5, 0.1), c("b", true, 0.4, 0.9)];
  const flipped = xs.map((x) => ({ ...x, hidden: 1 - x.hidden }));
  assert.equal(pickSubmission(xs, false)?.id, pickSubmission(flipped, false)?.id);
});

test("ties keep the earlier; non-finite metrics do not count", () => {
  assert.equal(pickSubmission([c("a", true, 0.5), c("b", true, 0.5)], false)?.id, "a");
  assert.equal(pickSubmission([c("a", true, Number.NaN), c("b", true, 0.1)], false)?.id, "b");
  assert.equal(pickSubmission([c("a", true, Number.POSITIVE_INFINITY), c("b", true, 0.1)], false)?.id, "b");
});

test("without any metric, the earliest valid submission; without one, nothing", () => {
  assert.equal(pickSubmission([c("a", false, 0.9), c("b", true, null), c("c", true, null)], false)?.id, "b");
  assert.equal(pickSubmission([c("a", false, 0.9), c("b", false, null)], false), null);
  assert.equal(pickSubmission([], true), null);
});
