import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import type { Completion } from "../../src/policy/types.js";
import { InProcessTrainer } from "../../src/trainer/in-process.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import type { Datum } from "../../src/trainer/types.js";
import { FIXTURE_TASKS } from "../policy/fixtures.js";

const SMALL = { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64 };

async function setup(seed: number, n = 4): Promise<{ policy: FragmentPolicy; trainer: InProcessTrainer; samples: Completion[] }> {
  const policy = await FragmentPolicy.create({ seed, ...SMALL });
  const samples = await new FragmentSampler(policy).sample(
    Array.from({ length: n }, (_, i) => ({ task: FIXTURE_TASKS[i % FIXTURE_TASKS.length]!, kind: "scratch" as const })),
    { seed },
  );
  return { policy, trainer: new InProcessTrainer(policy), samples };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Summed learner logprob of the completion part of a datum. */
async function sequenceLogprob(trainer: InProcessTrainer, d: Datum): Promise<number> {
  const [lp] = await trainer.logprobs([d]);
  return sum(lp!.filter((_, t) => d.advantages[t] !== 0));
}

test("a ppo step with a positive advantage raises the sequence's logprob; a negative one lowers it", async () => {
  for (const sign of [1, -1]) {
    const { policy, trainer, samples } = await setup(21);
    const d = datumFromCompletion(samples[0]!, sign);
    const before = await sequenceLogprob(trainer, d);
    await trainer.forwardBackward([d], { name: "ppo" });
    const step = await trainer.optimStep({ learningRate: 1e-3 });
    assert.equal(step.version, 1);
    assert.equal(trainer.version(), 1);
    const after = await sequenceLogprob(trainer, d);
    if (sign > 0) assert.ok(after > before, `advantage +1: ${before} -> ${after}`);
    else assert.ok(after < before, `advantage -1: ${before} -> ${after}`);
    policy.dispose();
  }
});

test("the ppo clip zeroes the gradient of tokens whose ratio is already past the clip in the advantage's direction", async () => {
  const { policy, trainer, samples } = await setup(5);
  const base = datumFromCompletion(samples[0]!, 1);
  const learner = (await trainer.logprobs([base]))[0]!;
  const trained = base.advantages.map((a) => a !== 0);
  // Behaviour logprob shifted so that ratio = e^{±0.5}: outside [0.8, 1.2] on both sides.
  const withRatio = (shift: number, adv: number): Datum => ({
    ...base,
    logprobs: learner.map((p, t) => (trained[t] ? p - shift : 0)),
    advantages: base.advantages.map((a) => (a !== 0 ? adv : 0)),
  });
  const gradNorm = async (d: Datum, clip = 0.2) => {
    const r = await trainer.forwardBackward([d], { name: "ppo", clipLow: clip, clipHigh: clip });
    const s = await trainer.optimStep({ learningRate: 0 });
    return { norm: s.gradNorm, clipFraction: r.metrics.clipFraction };
  };
  // ratio 1.65 > 1.2 with A > 0, and ratio 0.61 < 0.8 with A < 0: clipped, no gradient.
  assert.equal((await gradNorm(withRatio(0.5, 1))).norm, 0);
  assert.equal((await gradNorm(withRatio(-0.5, -1))).norm, 0);
  // The other sides are not clipped (PPO's min keeps the pessimistic unclipped term).
  assert.ok((await gradNorm(withRatio(0.5, -1))).norm > 0);
  assert.ok((await gradNorm(withRatio(-0.5, 1))).norm > 0);
  // Inside the clip range: gradient flows; with a wider clip the same ratio is inside too.
  assert.ok((await gradNorm(withRatio(0, 1))).norm > 0);
  const wide = await gradNorm(withRatio(0.5, 1), 0.7);
  assert.ok(wide.norm > 0);
  assert.equal(wide.clipFraction, 0);
  policy.dispose();
});

test("importance_sampling loss equals -sum(exp(p - q) * A) computed by hand", async () => {
  const { policy, trainer, samples } = await setup(9, 3);
  const datums = samples.map((c, i) => {
    const d = datumFromCompletion(c, 0);
    const promptTargets = c.promptTokens.length - 1;
    return {
      ...d,
      // Behaviour logprobs a little off the sampler's and advantages that vary by token.
      logprobs: d.logprobs.map((q, t) => (t >= promptTargets ? q - 0.1 * ((t % 3) - 1) : 0)),
      advantages: d.advantages.map((_, t) => (t >= promptTargets ? ((t % 4) - 1.5) * (i + 1) : 0)),
    };
  });
  const learner = await trainer.logprobs(datums);
  let expected = 0;
  datums.forEach((d, i) =>
    d.advantages.forEach((a, t) => {
      expected -= Math.exp(learner[i]![t]! - d.logprobs[t]!) * a;
    }),
  );
  const r = await trainer.forwardBackward(datums, { name: "importance_sampling" });
  assert.ok(Math.abs(r.loss - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `loss ${r.loss} vs hand ${expected}`);
  // The returned learner logprobs are those of the weights before the step.
  r.logprobs.forEach((row, i) => row.forEach((p, t) => assert.ok(Math.abs(p - learner[i]![t]!) < 1e-6)));
  policy.dispose();
});

test("gradients accumulate across forwardBackward calls until optimStep", async () => {
  const { policy, trainer, samples } = await setup(13, 2);
  const datums = samples.map((c) => datumFromCompletion(c, 1));
  await trainer.forwardBackward([datums[0]!], { name: "importance_sampling" });
  await trainer.forwardBackward([datums[1]!], { name: "importance_sampling" });
  const split = await trainer.optimStep({ learningRate: 0 });
  await trainer.forwardBackward(datums, { name: "importance_sampling" });
  const joint = await trainer.optimStep({ learningRate: 0 });
  assert.ok(Math.abs(split.gradNorm - joint.gradNorm) < 1e-4 * joint.gradNorm, `${split.gradNorm} vs ${joint.gradNorm}`);
  policy.dispose();
});

test("trainer save -> load restores weights, Adam state and version, so training continues identically", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-trainer-"));
  try {
    const { policy, trainer, samples } = await setup(17, 4);
    const datums = samples.map((c, i) => datumFromCompletion(c, i % 2 ? 0.5 : -1));
    await trainer.forwardBackward(datums, { name: "ppo" });
    await trainer.optimStep({ learningRate: 1e-2 });
    await trainer.save(join(dir, "ckpt"));
    const other = await FragmentPolicy.create({ seed: 99, ...SMALL });
    const resumed = new InProcessTrainer(other);
    await resumed.load(join(dir, "ckpt"));
    assert.equal(resumed.version(), 1);
    for (const t of [trainer, resumed]) {
      await t.forwardBackward(datums, { name: "ppo" });
      await t.optimStep({ learningRate: 1e-2 });
    }
    const a = await trainer.logprobs(datums);
    const b = await resumed.logprobs(datums);
    a.forEach((row, i) => row.forEach((p, t) => assert.ok(Math.abs(p - b[i]![t]!) < 1e-6, `datum ${i} pos ${t}: ${p} vs ${b[i]![t]}`)));
    assert.equal(resumed.version(), 2);
    policy.dispose();
    other.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a datum with an advantage on a prompt token is rejected", async () => {
  const { policy, trainer, samples } = await setup(3, 1);
  const d = datumFromCompletion(samples[0]!, 1);
  const bad = { ...d, advantages: d.advantages.map((a, t) => (t === 0 ? 1 : a)) };
  await assert.rejects(trainer.forwardBackward([bad], { name: "ppo" }), /prompt token/);
  policy.dispose();
});
