import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_POINTS, thin } from "../../src/dashboard/curves.js";

test("long lines are thinned to every k-th point and the last, short ones are left whole", () => {
  const short = Array.from({ length: MAX_POINTS }, (_, i) => i);
  assert.deepEqual(thin(short), short);
  const long = Array.from({ length: 10_001 }, (_, i) => i * 0.5);
  const kept = thin(long);
  assert.ok(kept.length <= MAX_POINTS + 1, `${kept.length} points`);
  assert.equal(kept[0], 0);
  assert.equal(kept.at(-1), long.at(-1), "the newest point is always sent");
  const step = kept[1]! / 0.5;
  for (const [i, v] of kept.slice(0, -1).entries()) assert.equal(v, long[i * step], "kept points are the report's own values");
});
