import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { HttpTrainer, TrainerHttpError, ensureTinyModel, startTrainerServer, type TrainerServer } from "../../src/trainer/http.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import type { Datum } from "../../src/trainer/types.js";

/** The parts of an OpenAI-style reply these tests read (the reference server's vLLM-compatible extras included). */
const Completion = z.object({
  adapter_version: z.number().int(),
  choices: z.array(
    z.object({
      text: z.string(),
      token_ids: z.array(z.number().int()),
      prompt_token_ids: z.array(z.number().int()),
      finish_reason: z.enum(["stop", "length"]),
      logprobs: z.object({ token_logprobs: z.array(z.number()) }),
    }),
  ),
});
const Chat = z.object({
  adapter_version: z.number().int(),
  prompt_token_ids: z.array(z.number().int()),
  choices: z.array(
    z.object({
      message: z.object({ content: z.string() }),
      token_ids: z.array(z.number().int()),
      logprobs: z.object({ content: z.array(z.object({ logprob: z.number() })) }),
    }),
  ),
});

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

interface Sampled {
  promptTokens: number[];
  tokens: number[];
  logprobs: number[];
  version: number;
}

async function complete(server: TrainerServer, model: "policy" | "base", seed: number, maxTokens = 12): Promise<Sampled> {
  const r = await post(`${server.url}/v1/completions`, {
    model,
    prompt: "import pandas as pd\ntrain = pd.read_csv(",
    max_tokens: maxTokens,
    logprobs: 1,
    return_token_ids: true,
    seed,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const c = Completion.parse(r.json);
  const ch = c.choices[0]!;
  return { promptTokens: ch.prompt_token_ids, tokens: ch.token_ids, logprobs: ch.logprobs.token_logprobs, version: c.adapter_version };
}

/** The trained half of a datum's learner logprobs (the completion's tokens). */
const completionPart = (row: number[], s: Sampled) => row.slice(s.promptTokens.length - 1);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const maxAbsDiff = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
};

describe("HttpTrainer against the reference server (tiny Qwen2 model on CPU)", { timeout: 240_000 }, () => {
  let a: TrainerServer;
  let b: TrainerServer;
  let ta: HttpTrainer;
  let tb: HttpTrainer;
  const work = mkdtempSync(join(tmpdir(), "mlerl-http-trainer-"));
  let eos = -1;

  before(async () => {
    eos = ensureTinyModel().eosTokenId;
    // Two servers from the start (in parallel): b is the fresh process a checkpoint of a is loaded into.
    [a, b] = await Promise.all([startTrainerServer({ threads: 1 }), startTrainerServer({ threads: 1 })]);
    [ta, tb] = await Promise.all([HttpTrainer.connect(a.url), HttpTrainer.connect(b.url)]);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it("answers health and capabilities per protocol 1", async () => {
    assert.equal(ta.version(), 0);
    const caps = await ta.capabilities();
    assert.equal(caps.protocol, 1);
    assert.deepEqual(caps.losses, ["importance_sampling", "ppo"]);
    assert.equal(caps.adapter.kind, "lora");
    assert.equal(caps.eosTokenId, eos);
    assert.equal(caps.vllm, null);
    assert.deepEqual(caps.serves, { completions: true, chat: true });
  });

  let first: Sampled;
  let baseBefore: Sampled;
  let datum: Datum;

  it("reports sampling logprobs that the trainer recomputes exactly for the same tokens", async () => {
    first = await complete(a, "policy", 7);
    baseBefore = await complete(a, "base", 7);
    assert.equal(first.version, 0);
    assert.equal(first.tokens.length, first.logprobs.length);
    assert.ok(first.tokens.length > 0);
    datum = datumFromCompletion(first, 1);
    const fb = await ta.forwardBackward([datum], { name: "ppo" });
    const recomputed = completionPart(fb.logprobs[0]!, first);
    assert.ok(maxAbsDiff(recomputed, first.logprobs) < 1e-4, `sampler ${first.logprobs} vs trainer ${recomputed}`);
    assert.equal(fb.metrics.trainedTokens, first.tokens.length);
    assert.ok(Math.abs(fb.metrics.meanRatio - 1) < 1e-4);
    assert.ok(fb.metrics.kl < 1e-6);
    assert.equal(fb.metrics.clipFraction, 0);
    // With r = 1 and A = 1 on every completion token, the token-summed PPO loss is minus their count.
    assert.ok(Math.abs(fb.loss + first.tokens.length) < 1e-3);
  });

  it("samples chat with the server's template and exact logprobs too", async () => {
    const r = await post(`${a.url}/v1/chat/completions`, {
      model: "policy",
      messages: [{ role: "user", content: "Write a model." }],
      max_tokens: 6,
      logprobs: true,
      return_token_ids: true,
      seed: 3,
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const c = Chat.parse(r.json);
    const ch = c.choices[0]!;
    const s: Sampled = {
      promptTokens: c.prompt_token_ids,
      tokens: ch.token_ids,
      logprobs: ch.logprobs.content.map((x) => x.logprob),
      version: c.adapter_version,
    };
    // The learner's logprobs without touching the gradients: advantage 0 everywhere trains nothing.
    const fb = await ta.forwardBackward([datumFromCompletion(s, 0)], { name: "importance_sampling" });
    assert.equal(fb.metrics.trainedTokens, 0);
    assert.ok(maxAbsDiff(completionPart(fb.logprobs[0]!, s), s.logprobs) < 1e-4);
  });

  it("an optimizer step on positive advantages raises those tokens' logprobs; policy follows, base stays", async () => {
    const step = await ta.optimStep({ learningRate: 0.01, maxGradNorm: 1e6 });
    assert.equal(step.version, 1);
    assert.equal(ta.version(), 1);
    assert.ok(step.gradNorm > 0);
    const fb = await ta.forwardBackward([{ ...datum, advantages: datum.advantages.map(() => 0) }], { name: "ppo" });
    const after = completionPart(fb.logprobs[0]!, first);
    assert.ok(sum(after) > sum(first.logprobs) + 0.1, `sum logprob ${sum(first.logprobs)} -> ${sum(after)}`);
    assert.equal(await ta.refreshVersion(), 1);

    const policy = await complete(a, "policy", 7);
    assert.equal(policy.version, 1);
    assert.deepEqual(policy.promptTokens, first.promptTokens);
    // Same seed, new weights: the first token is drawn by the same uniform number from a changed distribution,
    // and its reported logprob is the new learner's.
    const fb2 = await ta.forwardBackward([datumFromCompletion(policy, 0)], { name: "ppo" });
    assert.ok(maxAbsDiff(completionPart(fb2.logprobs[0]!, policy), policy.logprobs) < 1e-4);
    assert.ok(maxAbsDiff(policy.logprobs.slice(0, 1), first.logprobs.slice(0, 1)) > 1e-4 || policy.tokens[0] !== first.tokens[0]);

    const base = await complete(a, "base", 7);
    assert.equal(base.version, 0);
    assert.deepEqual(base.tokens, baseBefore.tokens);
    assert.ok(maxAbsDiff(base.logprobs, baseBefore.logprobs) < 1e-6);
  });

  it("save, then load into a fresh server, restores version, weights and optimizer state", async () => {
    const dir = join(work, "ckpt");
    await ta.save(dir);
    assert.equal(tb.version(), 0);
    await tb.load(dir);
    assert.equal(tb.version(), 1);
    const probe = { ...datum, advantages: datum.advantages.map(() => 0) };
    const [la, lb] = await Promise.all([ta.forwardBackward([probe], { name: "ppo" }), tb.forwardBackward([probe], { name: "ppo" })]);
    assert.ok(maxAbsDiff(la.logprobs[0]!, lb.logprobs[0]!) < 1e-6);
    // The same gradient step on both: equal only if Adam's moments came back too.
    for (const t of [ta, tb]) {
      await t.forwardBackward([datum], { name: "importance_sampling" });
      assert.equal((await t.optimStep({ learningRate: 0.01 })).version, 2);
    }
    const [pa, pb] = await Promise.all([ta.forwardBackward([probe], { name: "ppo" }), tb.forwardBackward([probe], { name: "ppo" })]);
    assert.ok(maxAbsDiff(pa.logprobs[0]!, pb.logprobs[0]!) < 1e-5);
    assert.ok(maxAbsDiff(pa.logprobs[0]!, la.logprobs[0]!) > 1e-4, "the second step changed the weights");
    const sampled = await complete(b, "policy", 11, 4);
    assert.equal(sampled.version, 2);
  });

  it("computes the ppo and importance_sampling losses of a hand-made case", async () => {
    // Behaviour logprobs placed at chosen ratios r = π/μ from the learner's current logprobs L: μ = L − log r.
    const probe: Datum = { ...datum, advantages: datum.advantages.map(() => 0) };
    const L = (await tb.forwardBackward([probe], { name: "ppo" })).logprobs[0]!;
    const n = L.length;
    const ratios = [0.5, 1.0, 1.5];
    const adv = [1, -2, 0.5];
    const at = (k: number) => n - 3 + k; // the last three positions
    const hand: Datum = {
      ...probe,
      logprobs: L.map((l, t) => (t >= n - 3 ? l - Math.log(ratios[t - (n - 3)]!) : 0)),
      advantages: L.map((_, t) => (t >= n - 3 ? adv[t - (n - 3)]! : 0)),
    };
    assert.equal(hand.advantages[at(1)], -2);
    // ppo, ε = 0.2: min(rA, clip(r)A) = min(0.5, 0.8) + min(-2, -2) + min(0.75, 0.6) = -0.9, loss 0.9.
    const ppo = await tb.forwardBackward([hand], { name: "ppo", clipLow: 0.2, clipHigh: 0.2 });
    assert.ok(Math.abs(ppo.loss - 0.9) < 1e-4, `ppo loss ${ppo.loss}`);
    assert.equal(ppo.metrics.trainedTokens, 3);
    assert.ok(Math.abs(ppo.metrics.clipFraction - 2 / 3) < 1e-9);
    assert.ok(Math.abs(ppo.metrics.meanRatio - 1.0) < 1e-4);
    const k3 = (0.5 - 1 - Math.log(0.5) + (1.5 - 1 - Math.log(1.5))) / 3;
    assert.ok(Math.abs(ppo.metrics.kl - k3) < 1e-4, `kl ${ppo.metrics.kl} vs ${k3}`);
    // importance_sampling: -(0.5·1 + 1·(-2) + 1.5·0.5) = 0.75.
    const is = await tb.forwardBackward([hand], { name: "importance_sampling" });
    assert.ok(Math.abs(is.loss - 0.75) < 1e-4, `is loss ${is.loss}`);
    // Wider clip range: nothing clipped, so ppo equals importance sampling.
    const wide = await tb.forwardBackward([hand], { name: "ppo", clipLow: 0.6, clipHigh: 0.6 });
    assert.ok(Math.abs(wide.loss - 0.75) < 1e-4);
    assert.equal(wide.metrics.clipFraction, 0);
  });

  it("refuses bad requests with the server's error type, and tempered sampling unless asked", async () => {
    const e = await ta.forwardBackward([{ ...datum, targetTokens: datum.targetTokens.slice(1) }], { name: "ppo" }).then(
      () => assert.fail("expected a refusal"),
      (err: unknown) => err,
    );
    assert.ok(e instanceof TrainerHttpError);
    assert.equal(e.status, 400);
    assert.equal(e.type, "invalid_request");
    assert.match(e.message, /datums\[0\]: modelInput, targetTokens, logprobs and advantages must have the same length/);
    const loadMissing = await tb.load(join(work, "nothing-here")).catch((err: unknown) => err);
    assert.ok(loadMissing instanceof TrainerHttpError && loadMissing.type === "checkpoint_not_found");

    // A ratio that overflows: refused, and the call's other datum leaves no gradient behind (all or nothing).
    const overflow: Datum = { ...datum, logprobs: datum.logprobs.map((l, t) => (datum.advantages[t] !== 0 ? -1000 : l)) };
    const nf = await ta.forwardBackward([datum, overflow], { name: "importance_sampling" }).catch((err: unknown) => err);
    assert.ok(nf instanceof TrainerHttpError && nf.type === "non_finite_loss", String(nf));
    assert.match(nf.message, /datums\[1\]: the loss is/);
    assert.equal((await ta.optimStep({ learningRate: 0.01 })).gradNorm, 0);

    const hot = await post(`${a.url}/v1/completions`, { model: "policy", prompt: "x", max_tokens: 2, temperature: 0.7 });
    assert.equal(hot.status, 400);
    assert.match(JSON.stringify(hot.json), /tempered_sampling_rejected/);
    const ok = await post(`${a.url}/v1/completions`, {
      model: "policy",
      prompt: "x",
      max_tokens: 2,
      temperature: 0.7,
      allow_tempered: true,
      seed: 1,
    });
    assert.equal(ok.status, 200);
    const unknown = await post(`${a.url}/v1/completions`, { model: "gpt-4", prompt: "x" });
    assert.equal(unknown.status, 404);
  });

  it("returns token ids only when asked (return_token_ids), as vLLM does", async () => {
    const r = await post(`${a.url}/v1/completions`, { model: "policy", prompt: [5, 6, 7], max_tokens: 3, logprobs: 1, seed: 2 });
    assert.equal(r.status, 200);
    const choice = (r.json as { choices: Record<string, unknown>[] }).choices[0]!;
    assert.equal(choice.token_ids, undefined);
    assert.equal(choice.prompt_token_ids, undefined);
    const withIds = Completion.parse(
      (
        await post(`${a.url}/v1/completions`, {
          model: "policy",
          prompt: [5, 6, 7],
          max_tokens: 3,
          logprobs: 1,
          seed: 2,
          return_token_ids: true,
        })
      ).json,
    );
    assert.deepEqual(withIds.choices[0]!.prompt_token_ids, [5, 6, 7]);
    assert.equal(withIds.choices[0]!.token_ids.length, 3);
  });

  it("samples n choices per request and stops at a stop string, which the text leaves out", async () => {
    const r = await post(`${a.url}/v1/completions`, {
      model: "base",
      prompt: "def main():",
      max_tokens: 40,
      n: 2,
      logprobs: 0,
      return_token_ids: true,
      seed: 5,
      stop: ["e"],
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const c = Completion.parse(r.json);
    assert.equal(c.choices.length, 2);
    assert.notDeepEqual(c.choices[0]!.token_ids, c.choices[1]!.token_ids);
    for (const ch of c.choices) {
      assert.equal(ch.token_ids.length, ch.logprobs.token_logprobs.length);
      assert.ok(!ch.text.includes("e"), ch.text);
      // A stopped choice keeps every sampled token (the last one completed the stop string); only the text is cut.
      if (ch.finish_reason === "stop") assert.ok(ch.token_ids.length < 40 || ch.token_ids.includes(eos));
      else assert.equal(ch.token_ids.length, 40);
    }
    assert.ok(
      c.choices.some((ch) => ch.finish_reason === "stop"),
      "a 40-token random text contains an e",
    );
  });
});
