import { test } from "node:test";
import assert from "node:assert/strict";
import { tokenAdvantages } from "../../src/rl/exploration.js";

test("the exploration bonus is zero-sum over the batch's tokens and favours rarer tokens", () => {
  let seed = 11;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const items = Array.from({ length: 6 }, () => ({ advantage: rand() * 2 - 1, logprobs: Array.from({ length: 3 + Math.floor(rand() * 10) }, () => Math.log(0.01 + rand() * 0.99)) }));
  const beta = 0.1;
  const out = tokenAdvantages(items, beta);
  let bonusSum = 0;
  for (const [i, it] of items.entries()) {
    assert.equal(out[i]!.length, it.logprobs.length);
    for (const [t, a] of out[i]!.entries()) bonusSum += a - it.advantage;
  }
  assert.ok(Math.abs(bonusSum) < 1e-9, `bonus sums to ${bonusSum}`);
  // Within one sequence, the token with the lower behaviour probability gets the higher advantage.
  const it = items[0]!;
  const lo = it.logprobs.indexOf(Math.min(...it.logprobs));
  const hi = it.logprobs.indexOf(Math.max(...it.logprobs));
  assert.ok(out[0]![lo]! >= out[0]![hi]!);
  assert.ok(Math.abs(out[0]![lo]! - out[0]![hi]! - beta * (it.logprobs[hi]! - it.logprobs[lo]!)) < 1e-12);
});

test("β = 0 broadcasts the sequence advantage unchanged", () => {
  const out = tokenAdvantages([{ advantage: 0.7, logprobs: [-1, -2, -0.1] }, { advantage: -1.5, logprobs: [-3] }], 0);
  assert.deepEqual(out, [[0.7, 0.7, 0.7], [-1.5]]);
});
