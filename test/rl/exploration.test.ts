import { test } from "node:test";
import assert from "node:assert/strict";
import { tokenAdvantages } from "../../src/rl/exploration.js";

test("the exploration bonus is zero-sum over the batch's tokens and favours rarer tokens", () => {
  let seed = 11;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const items = Array.from({ length: 6 }, () => ({
    advantage: rand() * 2 - 1,
    logprobs: Array.from({ length: 3 + Math.floor(rand() * 10) }, () => Math.log(0.01 + rand() * 0.99)),
  }));
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
  const out = tokenAdvantages(
    [
      { advantage: 0.7, logprobs: [-1, -2, -0.1] },
      { advantage: -1.5, logprobs: [-3] },
    ],
    0,
  );
  assert.deepEqual(out, [[0.7, 0.7, 0.7], [-1.5]]);
});

test("each rollout's bonus carries its duration weight, and the weighted bonus still sums to zero", () => {
  let seed = 5;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const items = Array.from({ length: 8 }, () => ({
    advantage: rand() * 2 - 1,
    weight: 0.05 + rand() * 3,
    logprobs: Array.from({ length: 2 + Math.floor(rand() * 8) }, () => Math.log(0.01 + rand() * 0.99)),
  }));
  const beta = 0.2;
  const out = tokenAdvantages(items, beta);
  let total = 0;
  let weighted = 0;
  for (const it of items)
    for (const lp of it.logprobs) {
      total += it.weight * -lp;
      weighted += it.weight;
    }
  const mean = total / weighted;
  let bonusSum = 0;
  for (const [i, it] of items.entries()) {
    for (const [t, a] of out[i]!.entries()) {
      assert.ok(Math.abs(a - it.advantage - it.weight * beta * (-it.logprobs[t]! - mean)) < 1e-12);
      bonusSum += a - it.advantage;
    }
  }
  assert.ok(Math.abs(bonusSum) < 1e-9, `bonus sums to ${bonusSum}`);
  // A fast crash (weight 0.1) gets a tenth of the bonus the same tokens would get at weight 1.
  const [fast, slow] = tokenAdvantages(
    [
      { advantage: 0, weight: 0.1, logprobs: [-5] },
      { advantage: 0, weight: 1, logprobs: [-5] },
      { advantage: 0, weight: 1.9, logprobs: [-0.1] },
    ],
    1,
  );
  assert.ok(Math.abs(fast![0]! * 10 - slow![0]!) < 1e-12 && slow![0]! > 0);
});
