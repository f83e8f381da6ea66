import { test } from "node:test";
import assert from "node:assert/strict";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import { fragmentNames } from "../../src/policy/render.js";
import { LAST_STAGE, SETTLED_AFTER, UNSETTLING, fragmentByName, type Stage } from "../../src/policy/fragments.js";
import { drawUniformProgram } from "../../src/baselines/random-search.js";
import type { PreviousAttempt, SampleRequest } from "../../src/policy/types.js";
import { InProcessTrainer } from "../../src/trainer/in-process.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import { Vocabulary } from "../../src/policy/vocab.js";
import { Rng } from "../../src/util/random.js";
import { FIXTURE_TASKS } from "./fixtures.js";

/**
 * Why a sampled program's printed metric or submission would not describe its submitted model, or null: a stage
 * after the write, or features/model changed after the program validated, fitted or predicted.
 */
function shapeFault(names: readonly string[]): string | null {
  let settledBy: string | null = null;
  for (const [i, name] of names.entries()) {
    const stage: Stage = fragmentByName(name).stage;
    if (i > 0 && fragmentByName(names[i - 1]!).stage === LAST_STAGE) return `${name} after ${names[i - 1]}`;
    if (settledBy && UNSETTLING.has(stage)) return `${name} after ${settledBy}`;
    if (SETTLED_AFTER.has(stage)) settledBy ??= name;
  }
  return null;
}

const scratchRequests = (n: number): SampleRequest[] =>
  Array.from({ length: n }, (_, i) => ({ task: FIXTURE_TASKS[i % FIXTURE_TASKS.length]!, kind: "scratch" as const }));
const improveRequests = (n: number, previous: PreviousAttempt): SampleRequest[] =>
  Array.from({ length: n }, (_, i) => ({ task: FIXTURE_TASKS[i % FIXTURE_TASKS.length]!, kind: "improve" as const, previous }));

test("the shape checker itself catches both faults", () => {
  const base = ["imports.full", "load.full", "features.tabular", "model.logreg", "valid.holdout", "fit.full", "predict.scores"];
  assert.equal(shapeFault([...base, "write.submission"]), null);
  assert.match(shapeFault([...base, "write.submission", "model.mlp"]) ?? "", /model\.mlp after write/);
  assert.match(
    shapeFault(["imports.full", "load.full", "features.tabular", "model.logreg", "valid.holdout", "features.tfidf_word"]) ?? "",
    /features\.tfidf_word after valid\.holdout/,
  );
});

test("no sampled program writes its submission and goes on, or changes its model after validating or fitting", async () => {
  const policy = await FragmentPolicy.create({ seed: 11, priorMode: "soft" });
  const sampler = new FragmentSampler(policy);
  try {
    const scratch = await sampler.sample(scratchRequests(240), { seed: 5 });
    const previous = {
      tokens: scratch[0]!.tokens,
      text: scratch[0]!.text,
      stageReached: "train" as const,
      failure: "error" as const,
      validationScore: null,
    };
    const improve = await sampler.sample(improveRequests(120, previous), { seed: 6 });
    let outOfOrder = 0;
    for (const c of [...scratch, ...improve]) {
      const names = fragmentNames(policy.vocab, c.tokens);
      assert.equal(shapeFault(names), null, names.join(" "));
      const last = names.at(-1);
      if (last && fragmentByName(last).stage === "write") {
        // The rendered file ends with the write fragment: no code runs after the submission is written.
        const lastHeader = c.text.lastIndexOf("# ---- ");
        assert.ok(c.text.slice(lastHeader).startsWith(`# ---- ${last}`), c.text.slice(lastHeader, lastHeader + 60));
      }
      if (names.some((n, i) => i > 0 && STAGE_INDEX(n) < STAGE_INDEX(names[i - 1]!))) outOfOrder++;
    }
    // The soft prior still lets programs misplace fragments (they fail and teach the policy), just not these ways.
    assert.ok(outOfOrder > 0, "no out-of-order sample: the prior became a hard mask");
  } finally {
    policy.dispose();
  }
});

const STAGE_ORDER = ["imports", "load", "prep", "features", "model", "valid", "fit", "predict", "write"];
const STAGE_INDEX = (name: string) => STAGE_ORDER.indexOf(fragmentByName(name).stage);

test("training cannot teach the policy a forbidden transition", async () => {
  // Push the policy hard toward a program that writes and then keeps fitting: the forbidden tokens keep ~0 mass.
  // The soft prior, because the grammar mask (the default) rules out far more than these transitions.
  const policy = await FragmentPolicy.create({ seed: 3, priorMode: "soft" });
  const sampler = new FragmentSampler(policy);
  const trainer = new InProcessTrainer(policy);
  try {
    const samples = await sampler.sample(scratchRequests(32), { seed: 9 });
    for (let step = 0; step < 5; step++) {
      await trainer.forwardBackward(
        samples.map((c) => datumFromCompletion(c, 1)),
        { name: "importance_sampling" },
      );
      await trainer.optimStep({ learningRate: 0.05 });
    }
    const after = await sampler.sample(scratchRequests(160), { seed: 10 });
    for (const c of after) assert.equal(shapeFault(fragmentNames(policy.vocab, c.tokens)), null);
  } finally {
    policy.dispose();
  }
});

test("random search draws only well-shaped programs, each with a validation stage", () => {
  const vocab = new Vocabulary();
  const rng = new Rng(7);
  for (let i = 0; i < 500; i++) {
    const names = fragmentNames(vocab, drawUniformProgram(vocab, rng));
    assert.equal(shapeFault(names), null, names.join(" "));
    assert.ok(
      names.some((n) => fragmentByName(n).stage === "valid"),
      names.join(" "),
    );
  }
});
