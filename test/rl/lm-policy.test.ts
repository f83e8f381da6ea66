import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { main } from "../../src/cli/main.js";
import { UserError } from "../../src/errors.js";
import { repoRoot } from "../../src/paths.js";
import { modelForVersion } from "../../src/run/open-lm-policy.js";
import { sameServer } from "../../src/trainer/connect.js";
import { runConfig } from "../../src/core/config.js";
import { RunStore } from "../../src/store/run-store.js";
import { tempDir } from "../agent/tmp.js";
import { FakeOpenAI } from "../policy/fake-openai.js";

const root = tempDir("mlerl-lm-policy-");
const bin = join(repoRoot(), "bin", "mlerl");
function mlerl(args: string[]) {
  return spawnSync(bin, ["--data-dir", join(root, "data"), ...args], { encoding: "utf8", timeout: 120_000 });
}

/** For runs that talk to a fake server in this process: spawnSync would block the server's event loop. */
function mlerlAsync(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, ["--data-dir", join(root, "data"), ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.once("exit", (status) => resolve({ status, stderr }));
  });
}

let fakeTrainer: FakeOpenAI;
before(async () => {
  fakeTrainer = await FakeOpenAI.start();
  // A trainer of protocol 1 that publishes its adapters nowhere (no vLLM beside it).
  fakeTrainer.handler = (path) =>
    path === "/health"
      ? { body: { ok: true, protocol: 1, version: 0 } }
      : path === "/capabilities"
        ? {
            body: {
              protocol: 1,
              losses: ["importance_sampling", "ppo"],
              model: "/models/tiny",
              adapter: { kind: "lora", r: 8, alpha: 16 },
              serves: { completions: true, chat: true },
              vllm: null,
              eosTokenId: 2,
            },
          }
        : { status: 404, body: { error: { type: "not_found", message: path } } };
});
after(() => fakeTrainer.close());

/** The policy section of a run config for a real LM trained over HTTP, every other setting at its default. */
const lmPolicy = (p: { baseUrl: string; trainerUrl: string; model?: string }) =>
  runConfig({ tasks: ["mini-leaf-classification"], policy: { kind: "openai", trainer: "http", ...p } }).policy;

test("one server or two: the sampler's model name for each policy version", () => {
  assert.ok(sameServer("http://localhost:8600", "http://127.0.0.1:8600/v1/"));
  assert.ok(!sameServer("http://127.0.0.1:8600", "http://127.0.0.1:8000"));
  const caps = { protocol: 1, model: "/models/qwen", vllm: "http://127.0.0.1:8000", adapterName: "mlerl" };
  const local = modelForVersion(lmPolicy({ baseUrl: "http://127.0.0.1:8600", trainerUrl: "http://localhost:8600" }), caps);
  assert.equal(local(0), "policy");
  assert.equal(local(5), "policy", "the reference trainer's `policy` is always its current adapter");
  const vllm = modelForVersion(lmPolicy({ baseUrl: "http://127.0.0.1:8000/v1", trainerUrl: "http://127.0.0.1:8600" }), caps);
  assert.equal(vllm(0), "mlerl-v0");
  assert.equal(vllm(7), "mlerl-v7", "the adapter the trainer published for that version");
  const named = modelForVersion(lmPolicy({ model: "p", baseUrl: "http://127.0.0.1:8000", trainerUrl: "http://127.0.0.1:8600" }), caps);
  assert.equal(named(2), "p-v2");
  assert.throws(
    () =>
      modelForVersion(lmPolicy({ baseUrl: "http://127.0.0.1:8000", trainerUrl: "http://127.0.0.1:8600" }), {
        ...caps,
        vllm: null,
      }),
    (e: unknown) =>
      e instanceof UserError &&
      /publishes its adapters nowhere/.test(e.message) &&
      /--vllm-url http:\/\/127\.0\.0\.1:8000/.test(e.hint ?? ""),
  );
  const warnings: string[] = [];
  const elsewhere = modelForVersion(lmPolicy({ baseUrl: "http://vllm-host:8000", trainerUrl: "http://127.0.0.1:8600" }), caps, (l) =>
    warnings.push(l),
  );
  assert.equal(elsewhere(1), "mlerl-v1");
  assert.match(
    warnings.join("\n"),
    /publishes adapters to http:\/\/127\.0\.0\.1:8000, and mlerl samples from http:\/\/vllm-host:8000/,
    "another name may be the same server: a warning",
  );
});

test("inconsistent real-LM flags are user errors that name the fix", async () => {
  // Each message names the flag to change and why; the parser's own refusals point to --help instead of a fix line.
  const FIX = /fix: /;
  const cases: [string[], RegExp, RegExp?][] = [
    [["--policy", "openai"], /--base-url: policy openai needs the server to sample from/],
    [["--policy", "openai", "--base-url", "http://127.0.0.1:8600", "--trainer", "inprocess"], /--trainer: .*policy openai.*trainer http/],
    [["--policy", "openai", "--base-url", "http://127.0.0.1:8600"], /--trainer-url: trainer http needs the trainer server's address/],
    [["--trainer", "http"], /--trainer: a trainer server trains a real LM: it needs policy openai/],
    [["--instrumenter", "lm"], /--instrumenter: .*needs policy openai/],
    [["--model", "x"], /--model: only applies to policy openai/],
    [["--policy", "openai", "--base-url", "u", "--trainer-url", "http://127.0.0.1:8600"], /--base-url: must be an http\(s\) URL, got 'u'/],
    [
      ["--policy", "openai", "--base-url", "http://a", "--trainer-url", "http://b", "--api", "responses"],
      /--api\b.*'responses'.*choices are chat, completions/,
      /--help/,
    ],
    [
      ["--policy", "openai", "--base-url", "http://a", "--trainer-url", "http://b", "--instrumenter", "lm", "--no-instrumentation"],
      /--instrumenter: .*conflicts with instrumentation off/,
    ],
  ];
  for (const [args, message, fix = FIX] of cases) {
    const r = await inProcess([
      "--data-dir",
      join(root, "data"),
      "train",
      "--task",
      "mini-leaf-classification",
      "--rollouts",
      "2",
      "--run-dir",
      join(root, "never"),
      ...args,
    ]);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.match(r.stderr, fix, args.join(" "));
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace for a user mistake");
  }
  assert.ok(!RunStore.exists(join(root, "never")), "a refused start leaves no run behind");
});

/** The CLI in this process (flag checks need no child process); what it writes to stderr is captured. */
async function inProcess(argv: string[]): Promise<{ status: number; stderr: string }> {
  let stderr = "";
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { status: await main(argv), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test("a trainer that is not there, or that cannot reach the sampler, stops the run before anything is stored", async () => {
  const gone = await FakeOpenAI.start();
  const url = gone.url;
  await gone.close();
  const dead = mlerl([
    "train",
    "--policy",
    "openai",
    "--base-url",
    url,
    "--trainer-url",
    url,
    "--task",
    "mini-leaf-classification",
    "--rollouts",
    "2",
    "--run-dir",
    join(root, "dead"),
  ]);
  assert.equal(dead.status, 2, dead.stderr);
  assert.match(dead.stderr, new RegExp(`trainer at ${url} is not reachable \\(ECONNREFUSED\\)`));
  assert.doesNotMatch(dead.stderr, /^\s+at /m);
  const apart = await mlerlAsync([
    "train",
    "--policy",
    "openai",
    "--base-url",
    "http://127.0.0.1:9",
    "--trainer-url",
    fakeTrainer.url,
    "--task",
    "mini-leaf-classification",
    "--rollouts",
    "2",
    "--run-dir",
    join(root, "apart"),
  ]);
  assert.equal(apart.status, 2, apart.stderr);
  assert.match(apart.stderr, /publishes its adapters nowhere/);
  for (const d of ["dead", "apart"]) {
    const store = RunStore.open(join(root, d));
    assert.equal(store.getMeta("config"), undefined, `${d}: no half-made run`);
    store.close();
  }
});
