import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { OpenAISampler, type OpenAISamplerOptions } from "../../src/policy/openai.js";
import { apiRoot, Limiter } from "../../src/llm/openai-client.js";
import { getTask } from "../../src/tasks/registry.js";
import type { SampleRequest } from "../../src/policy/types.js";
import { tempDir } from "../agent/tmp.js";
import { FakeOpenAI, chatReply, completionsReply } from "./fake-openai.js";

const dataDir = tempDir("mlerl-openai-data-");
const publicDir = tempDir("mlerl-openai-public-");
writeFileSync(join(publicDir, "train.csv"), "id,zebra_feature,species\n1,0.5,Acer\n2,0.7,Quercus\n");
writeFileSync(join(publicDir, "test.csv"), "id,zebra_feature\n3,0.1\n");
const task = getTask("mini-leaf-classification", dataDir);
const scratch: SampleRequest = { task, kind: "scratch" };

let fake: FakeOpenAI;
before(async () => {
  fake = await FakeOpenAI.start();
});
after(async () => {
  await fake.close();
});

function sampler(extra: Partial<OpenAISamplerOptions> = {}): OpenAISampler {
  return new OpenAISampler({
    baseUrl: fake.url,
    model: "policy",
    maxTokens: 64,
    publicDirOf: () => publicDir,
    timeLimitSec: 45,
    backoffMs: 5,
    retries: 2,
    ...extra,
  });
}

function reset(handler: FakeOpenAI["handler"]): void {
  fake.requests.length = 0;
  fake.maxInFlight = 0;
  fake.handler = handler;
}

const PROGRAM = "import pandas as pd\nprint('validation metric: 0.5')\n";
const ANSWER = `Plan: a baseline.\n\n\`\`\`python\n${PROGRAM}\`\`\`\n`;

test("chat: the rendered prompt goes out with return_token_ids and logprobs; ids, logprobs, version and code come back", async () => {
  reset(() => ({
    body: chatReply({
      content: ANSWER,
      promptIds: [9, 8, 7],
      ids: [100, 101, 102, 2],
      logprobs: [-0.1, -2, -0.3, -0.05],
      adapterVersion: 3,
    }),
  }));
  const s = sampler();
  const [c] = await s.sample([scratch], { seed: 42 });
  assert.ok(c);
  assert.deepEqual(c.promptTokens, [9, 8, 7]);
  assert.deepEqual(c.tokens, [100, 101, 102, 2]);
  assert.deepEqual(c.logprobs, [-0.1, -2, -0.3, -0.05]);
  assert.equal(c.version, 3, "the adapter version the server reported");
  assert.equal(c.finished, true);
  assert.equal(c.text, PROGRAM, "the program, parsed out of the answer");
  assert.equal(s.version(), 3, "without a trainer to ask, the version is the last one served");
  assert.equal(fake.requests[0]!.headers.authorization, undefined, "no key, no header");
  await sampler({ apiKey: "sk-test" }).sample([scratch], { seed: 1 });
  assert.equal(fake.requests[1]!.headers.authorization, "Bearer sk-test");
  const req = fake.requests[0]!;
  assert.equal(req.path, "/v1/chat/completions");
  assert.equal(req.body.return_token_ids, true);
  assert.equal(req.body.logprobs, true);
  assert.equal(req.body.model, "policy");
  assert.equal(req.body.max_tokens, 64);
  assert.equal(req.body.temperature, 1);
  assert.equal(req.body.seed, 42);
  const messages = req.body.messages as { role: string; content: string }[];
  assert.equal(messages.length, 1);
  assert.equal(messages[0]!.role, "user");
  assert.ok(messages[0]!.content.includes(task.description.trim().split("\n")[0]!), "the task description is in the prompt");
  assert.match(messages[0]!.content, /zebra_feature/, "the data overview of the public dir is in the prompt");
  assert.match(messages[0]!.content, /45 seconds/);
});

test("completions: prompt text, vLLM adapter name gives the version, a length stop is unfinished, the model follows the expected version", async () => {
  reset(() => ({
    body: completionsReply({ text: "x = 1\nprint(x)\n", model: "mlerl-v7", finish: "length", ids: [5, 6, 7], logprobs: [-1, -1.5, -3] }),
  }));
  let trainerVersion = 6;
  const s = sampler({
    api: "completions",
    model: (v) => (v === 0 ? "Qwen/Qwen2.5-3B-Instruct" : `mlerl-v${v}`),
    version: () => trainerVersion,
  });
  const [c] = await s.sample([scratch], { seed: 1 });
  assert.equal(fake.requests[0]!.path, "/v1/completions");
  assert.equal(fake.requests[0]!.body.model, "mlerl-v6");
  assert.equal(typeof fake.requests[0]!.body.prompt, "string");
  assert.equal(fake.requests[0]!.body.return_token_ids, true);
  assert.equal(c!.version, 7, "parsed from the served adapter's name");
  assert.equal(c!.finished, false);
  assert.deepEqual(c!.promptTokens, [5, 6, 7]);
  assert.equal(c!.text, "x = 1\nprint(x)\n", "unfenced Python is still the program");
  trainerVersion = 0;
  await s.sample([scratch], { seed: 2 });
  assert.equal(fake.requests[1]!.body.model, "Qwen/Qwen2.5-3B-Instruct");
  assert.equal(s.version(), 0, "version() asks the trainer");
});

test("improve prompts show the previous program and its output, never a reward", async () => {
  reset(() => ({ body: chatReply({ content: ANSWER }) }));
  const prev: SampleRequest = {
    task,
    kind: "improve",
    previous: {
      tokens: [1, 2],
      text: "print('old program 123')\n",
      stageReached: "valid",
      failure: "none",
      validationScore: 0.8125,
      output: "validation metric: 0.8125\n",
    },
  };
  await sampler().sample([prev], { seed: 3 });
  const content = (fake.requests[0]!.body.messages as { content: string }[])[0]!.content;
  assert.match(content, /old program 123/);
  assert.match(content, /validation metric: 0\.8125/);
});

test("a response without code still becomes a program: the raw answer, which fails when run", async () => {
  reset(() => ({ body: chatReply({ content: "I cannot help with that." }) }));
  const [c] = await sampler().sample([scratch], { seed: 0 });
  assert.equal(c!.text, "I cannot help with that.");
});

async function userError(p: Promise<unknown>, pattern: RegExp, hint?: RegExp): Promise<UserError> {
  let caught: unknown;
  await p.then(
    () => assert.fail("expected an error"),
    (e: unknown) => (caught = e),
  );
  assert.ok(caught instanceof UserError, `a UserError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  if (hint) assert.match(caught.hint ?? "", hint);
  return caught;
}

test("missing token ids, prompt ids or logprobs, and mismatched lengths are user errors naming the URL and the field", async () => {
  const s = sampler();
  reset(() => ({ body: chatReply({ content: ANSWER, ids: null }) }));
  const e = await userError(s.sample([scratch], { seed: 0 }), /token_ids/, /return_token_ids/);
  assert.ok(e.message.includes(`${fake.url}/v1/chat/completions`));
  reset(() => {
    const r = chatReply({ content: ANSWER }) as Record<string, unknown>;
    delete r.prompt_token_ids;
    return { body: r };
  });
  await userError(s.sample([scratch], { seed: 0 }), /no prompt_token_ids/, /vLLM/);
  reset(() => ({ body: chatReply({ content: ANSWER, logprobs: null }) }));
  await userError(s.sample([scratch], { seed: 0 }), /no logprobs/, /logprobs/);
  reset(() => ({ body: chatReply({ content: ANSWER, ids: [1, 2, 3], logprobs: [-1, -2] }) }));
  await userError(s.sample([scratch], { seed: 0 }), /3 token ids but 2 logprobs/);
  reset(() => ({ body: chatReply({ content: ANSWER, ids: [1, 2], logprobs: [-1, null] }) }));
  await userError(s.sample([scratch], { seed: 0 }), /invalid logprob \(null\) for token 1/);
  assert.equal(fake.requests.length, 1, "a malformed reply is not retried");
});

test("malformed replies: not JSON, wrong shape, no choices", async () => {
  const s = sampler();
  reset(() => ({ body: "<html>proxy error</html>" }));
  await userError(s.sample([scratch], { seed: 0 }), /not JSON: <html>proxy error/);
  reset(() => ({ body: { choices: [{ text: 5 }] } }));
  await userError(s.sample([scratch], { seed: 0 }), /cannot read: field choices\.0\.message/);
  reset(() => ({ body: { choices: [] } }));
  await userError(s.sample([scratch], { seed: 0 }), /without any choice/);
});

test("transient failures (503, 429) are retried with backoff; client errors are not", async () => {
  reset((_p, _b, n) =>
    n <= 2
      ? { status: n === 1 ? 503 : 429, body: { error: { type: "overloaded", message: "busy" } } }
      : { body: chatReply({ content: ANSWER }) },
  );
  const [c] = await sampler().sample([scratch], { seed: 0 });
  assert.equal(c!.text, PROGRAM);
  assert.equal(fake.requests.length, 3);

  reset(() => ({ status: 400, body: { error: { type: "bad_request", message: "temperature other than 1 is rejected" } } }));
  const e = await userError(sampler().sample([scratch], { seed: 0 }), /HTTP 400\): bad_request: temperature other than 1 is rejected/);
  assert.ok(e.message.includes(fake.url));
  assert.equal(fake.requests.length, 1);

  reset(() => ({ status: 500, body: { error: { type: "internal", message: "CUDA out of memory" } } }));
  await userError(
    sampler({ retries: 1 }).sample([scratch], { seed: 0 }),
    /failed after 2 attempts: HTTP 500: internal: CUDA out of memory/,
  );
  assert.equal(fake.requests.length, 2);
});

test("a server that is down: a user error naming the URL after the retries", async () => {
  const gone = await FakeOpenAI.start();
  const url = gone.url;
  await gone.close();
  const s = new OpenAISampler({
    baseUrl: `${url}/v1/`,
    model: "policy",
    maxTokens: 8,
    publicDirOf: () => publicDir,
    timeLimitSec: 45,
    retries: 2,
    backoffMs: 5,
  });
  const e = await userError(
    s.sample([scratch], { seed: 0 }),
    /failed after 3 attempts: no connection \(ECONNREFUSED\)/,
    /running and reachable/,
  );
  assert.ok(e.message.startsWith(`${url}/v1/chat/completions`));
});

test("the concurrency limit holds over one sampler's requests; a timeout and an abort end a hanging request", async () => {
  reset(() => ({ body: chatReply({ content: ANSWER }), delayMs: 60 }));
  const reqs = Array.from({ length: 6 }, () => scratch);
  const out = await sampler({ concurrency: 2 }).sample(reqs, { seed: 0 });
  assert.equal(out.length, 6);
  assert.equal(fake.requests.length, 6);
  assert.equal(fake.maxInFlight, 2);

  reset(() => ({ hang: true }));
  await userError(sampler({ timeoutMs: 200, retries: 0 }).sample([scratch], { seed: 0 }), /did not answer within 0\.2 s/, /timeout/);

  const ac = new AbortController();
  const p = sampler({ signal: ac.signal }).sample([scratch], { seed: 0 });
  setTimeout(() => ac.abort(new Error("stopped by the user")), 100);
  await assert.rejects(p, /stopped by the user/);
});

test("base URLs with or without /v1; a bad URL is a user error; the limiter serves waiters in order", async () => {
  assert.equal(apiRoot("http://h:1"), "http://h:1/v1");
  assert.equal(apiRoot("http://h:1/v1/"), "http://h:1/v1");
  assert.equal(apiRoot("https://h/proxy"), "https://h/proxy/v1");
  assert.throws(() => apiRoot("localhost:8000"), UserError);
  const lim = new Limiter(1);
  const order: number[] = [];
  await Promise.all(
    [1, 2, 3].map((i) =>
      lim.run(async () => {
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
      }),
    ),
  );
  assert.deepEqual(order, [1, 2, 3]);
});
