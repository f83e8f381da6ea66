import { test } from "node:test";
import assert from "node:assert/strict";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import { fragmentNames } from "../../src/policy/render.js";
import { InProcessTrainer } from "../../src/trainer/in-process.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import { FIXTURE_TASKS } from "../policy/fixtures.js";

// Sample -> reward -> advantage -> ppo update, repeated: the policy must move toward rewarded fragments, and the
// sampler must report the versions the trainer publishes.
test("a few ppo updates shift sampling toward a rewarded fragment", async () => {
  const policy = await FragmentPolicy.create({ seed: 3, dModel: 48, nLayers: 1, nHeads: 2, dFF: 96 });
  const sampler = new FragmentSampler(policy);
  const trainer = new InProcessTrainer(policy);
  const task = FIXTURE_TASKS[0]!;
  const rewarded = "model.lgbm_1500";
  const share = async (seed: number) => {
    const cs = await sampler.sample(
      Array.from({ length: 64 }, () => ({ task, kind: "scratch" as const })),
      { seed },
    );
    return cs.filter((c) => fragmentNames(policy.vocab, c.tokens).includes(rewarded)).length / cs.length;
  };
  const before = await share(1000);
  for (let step = 0; step < 12; step++) {
    const cs = await sampler.sample(
      Array.from({ length: 32 }, () => ({ task, kind: "scratch" as const })),
      { seed: step },
    );
    assert.ok(cs.every((c) => c.version === step));
    const rewards = cs.map((c) => (fragmentNames(policy.vocab, c.tokens).includes(rewarded) ? 1 : 0));
    const mean = rewards.reduce((a: number, b: number) => a + b, 0) / rewards.length;
    await trainer.forwardBackward(
      cs.map((c, i) => datumFromCompletion(c, rewards[i]! - mean)),
      { name: "ppo" },
    );
    await trainer.optimStep({ learningRate: 3e-3 });
  }
  const after = await share(1000);
  if (process.env.MLERL_TEST_VERBOSE) console.log({ before, after });
  assert.ok(after > before * 2 && after > 0.3, `share of ${rewarded}: ${before} -> ${after}`);
  policy.dispose();
});
