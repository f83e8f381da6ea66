import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import { fragmentNames } from "../../src/policy/render.js";
import { STAGES, fragmentByName } from "../../src/policy/fragments.js";
import { allowedAfter, nextStages } from "../../src/policy/grammar.js";
import { SEP } from "../../src/policy/vocab.js";
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
  for (const p of [a, b]) p.dispose();
});

test("a fresh policy samples its prior: under the grammar mask each allowed continuation is equally likely, whatever the init seed", async () => {
  for (const seed of [3, 4]) {
    const policy = await FragmentPolicy.create({ seed });
    const samples = await new FragmentSampler(policy).sample(requests(16), { seed: 9 });
    for (const c of samples) {
      let prev = policy.vocab.id(SEP);
      c.tokens.forEach((t, i) => {
        const allowed = allowedAfter(policy.vocab, prev)!;
        assert.ok(allowed.includes(t), `${policy.vocab.token(t)} is not allowed after ${policy.vocab.token(prev)}`);
        assert.ok(
          Math.abs((c.logprobs[i] as number) + Math.log(allowed.length)) < 1e-4,
          `step ${i}: ${c.logprobs[i]} vs −ln ${allowed.length}`,
        );
        prev = t;
      });
    }
    policy.dispose();
  }
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

test("an improvement keeps most of its parent's fragments and varies a few (the copy prior); a draft does not", async () => {
  const policy = await FragmentPolicy.create({ seed: 2 });
  const sampler = new FragmentSampler(policy);
  try {
    const task = FIXTURE_TASKS[0]!;
    const [parent] = await sampler.sample([{ task, kind: "scratch" }], { seed: 3 });
    const parentNames = new Set(fragmentNames(policy.vocab, parent!.tokens));
    const previous = { tokens: parent!.tokens, text: parent!.text, stageReached: "valid" as const, failure: "none" as const };
    const kept = (c: { tokens: number[] }) => {
      const names = fragmentNames(policy.vocab, c.tokens);
      return names.filter((n) => parentNames.has(n)).length / Math.max(names.length, parentNames.size);
    };
    const improve = await sampler.sample(
      Array.from({ length: 80 }, () => ({ task, kind: "improve" as const, previous })),
      { seed: 4 },
    );
    const scratch = await sampler.sample(
      Array.from({ length: 80 }, () => ({ task, kind: "scratch" as const })),
      { seed: 4 },
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const keptImprove = mean(improve.map(kept));
    const keptScratch = mean(scratch.map(kept));
    assert.ok(keptImprove > 0.6 && keptScratch < 0.5, `share of the parent kept: improve ${keptImprove}, scratch ${keptScratch}`);
    const identical = improve.filter((c) => c.tokens.join() === parent!.tokens.join()).length;
    assert.ok(identical < 40, `most improvements change something (${identical}/80 identical)`);

    // A checkpoint from before the copy prior has none: its improvements are sampled as before.
    const dir = mkdtempSync(join(tmpdir(), "mlerl-copy-"));
    policy.save(dir);
    const manifestPath = join(dir, "policy.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { config: Record<string, unknown> };
    delete manifest.config.copyStrength;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const old = (await FragmentPolicy.load(dir)).policy;
    assert.equal(old.config.copyStrength, 0);
    const oldImprove = await new FragmentSampler(old).sample(
      Array.from({ length: 80 }, () => ({ task, kind: "improve" as const, previous })),
      { seed: 4 },
    );
    assert.ok(mean(oldImprove.map(kept)) < keptImprove - 0.2, `without the copy prior: ${mean(oldImprove.map(kept))}`);
    old.dispose();
    rmSync(dir, { recursive: true, force: true });
  } finally {
    policy.dispose();
  }
});
