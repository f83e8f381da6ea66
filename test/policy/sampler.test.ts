import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import { fragmentNames } from "../../src/policy/render.js";
import { STAGES, fragmentByName } from "../../src/policy/fragments.js";
import { nextStages } from "../../src/policy/grammar.js";
import type { SampleRequest } from "../../src/policy/types.js";
import { InProcessTrainer } from "../../src/trainer/in-process.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import { UserError } from "../../src/errors.js";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { FIXTURE_TASKS } from "./fixtures.js";

function requests(n: number): SampleRequest[] {
  return Array.from({ length: n }, (_, i) => ({ task: FIXTURE_TASKS[i % FIXTURE_TASKS.length]!, kind: "scratch" as const }));
}

test("behaviour logprobs equal the trainer's logprobs for the same tokens and weights", async () => {
  const policy = await FragmentPolicy.create({ seed: 7 });
  const sampler = new FragmentSampler(policy);
  const scratch = await sampler.sample(requests(12), { seed: 1 });
  // Improve prompts carry a previous program, so prompts of different lengths share a batch (left padding).
  const improve: SampleRequest[] = scratch.slice(0, 6).map((c, i) => ({
    task: FIXTURE_TASKS[i % FIXTURE_TASKS.length]!,
    kind: "improve",
    previous: { tokens: c.tokens, text: c.text, stageReached: "train", failure: "error", validationScore: i % 2 ? 0.8 : null },
  }));
  const mixed = await sampler.sample([...improve, ...requests(6)], { seed: 2 });
  const all = [...scratch, ...mixed];
  const trainer = new InProcessTrainer(policy);
  const datums = all.map((c) => datumFromCompletion(c, 1));
  const learner = await trainer.logprobs(datums);
  let compared = 0;
  all.forEach((c, i) => {
    const offset = c.promptTokens.length - 1;
    c.logprobs.forEach((q, t) => {
      const p = learner[i]![offset + t]!;
      assert.ok(Math.abs(p - q) < 1e-5, `completion ${i} token ${t}: sampler ${q} vs trainer ${p}`);
      compared++;
    });
  });
  assert.ok(compared > 100, `compared only ${compared} tokens`);
  policy.dispose();
});

test("sampling is deterministic given the init seed and the sampling seed", async () => {
  const a = await FragmentPolicy.create({ seed: 3 });
  const b = await FragmentPolicy.create({ seed: 3 });
  const c = await FragmentPolicy.create({ seed: 4 });
  const ra = await new FragmentSampler(a).sample(requests(16), { seed: 9 });
  const rb = await new FragmentSampler(b).sample(requests(16), { seed: 9 });
  assert.deepEqual(
    ra.map((x) => x.tokens),
    rb.map((x) => x.tokens),
  );
  assert.deepEqual(
    ra.map((x) => x.logprobs),
    rb.map((x) => x.logprobs),
  );
  assert.deepEqual(
    ra.map((x) => x.text),
    rb.map((x) => x.text),
  );
  const other = await new FragmentSampler(a).sample(requests(16), { seed: 10 });
  assert.notDeepEqual(
    other.map((x) => x.tokens),
    ra.map((x) => x.tokens),
  );
  const rc = await new FragmentSampler(c).sample(requests(16), { seed: 9 });
  assert.notDeepEqual(
    rc.map((x) => x.logprobs),
    ra.map((x) => x.logprobs),
  );
  for (const p of [a, b, c]) p.dispose();
});

test("save -> load gives identical samples, logprobs and version", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-policy-"));
  try {
    const policy = await FragmentPolicy.create({ seed: 5 });
    // Move the weights off their initial values so loading cannot pass by re-initialising from the seed.
    const trainer = new InProcessTrainer(policy);
    const first = await new FragmentSampler(policy).sample(requests(8), { seed: 1 });
    await trainer.forwardBackward(
      first.map((c, i) => datumFromCompletion(c, i % 2 ? 1 : -1)),
      { name: "ppo" },
    );
    await trainer.optimStep({ learningRate: 1e-2 });
    policy.save(join(dir, "ckpt"));
    const before = await new FragmentSampler(policy).sample(requests(24), { seed: 11 });
    const { policy: loaded } = await FragmentPolicy.load(join(dir, "ckpt"));
    const after = await new FragmentSampler(loaded).sample(requests(24), { seed: 11 });
    assert.equal(loaded.version, 1);
    assert.deepEqual(
      after.map((x) => x.tokens),
      before.map((x) => x.tokens),
    );
    assert.deepEqual(
      after.map((x) => x.logprobs),
      before.map((x) => x.logprobs),
    );
    assert.deepEqual(
      after.map((x) => x.version),
      before.map(() => 1),
    );
    policy.dispose();
    loaded.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("loading something that is not a checkpoint is a UserError naming the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-policy-"));
  try {
    await assert.rejects(FragmentPolicy.load(dir), (e: unknown) => e instanceof UserError && e.message.includes("policy.json"));
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ format: "mlerl-fragment-lm", formatVersion: 1, config: {} }));
    await assert.rejects(FragmentPolicy.load(dir), (e: unknown) => e instanceof UserError && e.message.includes("config"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("rendered programs are valid Python for every task shape", async () => {
  const { python } = requireAgentPython();
  const policy = await FragmentPolicy.create({ seed: 2 });
  const dir = mkdtempSync(join(tmpdir(), "mlerl-programs-"));
  try {
    const samples = await new FragmentSampler(policy).sample(requests(60), { seed: 4 });
    const files = samples.map((c, i) => {
      const f = join(dir, `p${i}.py`);
      writeFileSync(f, c.text);
      return f;
    });
    const r = spawnSync(python, ["-m", "py_compile", ...files], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    for (const c of samples) {
      assert.ok(c.text.includes('SUBMISSION_PATH = "/home/submission/submission.csv"'));
      for (const name of fragmentNames(policy.vocab, c.tokens)) assert.ok(c.text.includes(`# ---- ${name}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    policy.dispose();
  }
});

test("unconstrained sampling can misplace fragments; the grammar mask never does", async () => {
  const wellFormed = (names: string[]) => {
    let stage: (typeof STAGES)[number] | "start" = "start";
    for (const n of names) {
      const s = fragmentByName(n).stage;
      if (!nextStages(stage).includes(s)) return false;
      stage = s;
    }
    return nextStages(stage).includes("end");
  };
  const soft = await FragmentPolicy.create({ seed: 1, priorMode: "soft" });
  const masked = await FragmentPolicy.create({ seed: 1, priorMode: "mask" });
  const rs = await new FragmentSampler(soft).sample(requests(64), { seed: 3 });
  const rm = await new FragmentSampler(masked).sample(requests(64), { seed: 3 });
  const softOk = rs.filter((c) => c.finished && wellFormed(fragmentNames(soft.vocab, c.tokens))).length;
  assert.ok(softOk > 0 && softOk < 64, `soft prior: ${softOk}/64 well-formed`);
  for (const c of rm)
    assert.ok(c.finished && wellFormed(fragmentNames(masked.vocab, c.tokens)), fragmentNames(masked.vocab, c.tokens).join(" "));
  soft.dispose();
  masked.dispose();
});

test("a task the fragments cannot serve is refused with a UserError", async () => {
  const policy = await FragmentPolicy.create({ seed: 1 });
  const sampler = new FragmentSampler(policy);
  const base = FIXTURE_TASKS[0]!;
  const { schema: _drop, ...noSchema } = base;
  await assert.rejects(
    sampler.sample([{ task: noSchema, kind: "scratch" }], { seed: 1 }),
    (e: unknown) => e instanceof UserError && /no data schema/.test(e.message),
  );
  const qwk = {
    ...base,
    id: "fx-qwk",
    metric: "quadratic_weighted_kappa" as const,
    schema: { ...base.schema!, targetKind: "ordinal" as const },
  };
  await assert.rejects(
    sampler.sample([{ task: qwk, kind: "scratch" }], { seed: 1 }),
    (e: unknown) => e instanceof UserError && /quadratic_weighted_kappa/.test(e.message),
  );
  policy.dispose();
});
