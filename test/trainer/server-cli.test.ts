import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "../../src/paths.js";
import { requireTrainerPython } from "../../src/runtime/trainer-venv.js";
import { HttpTrainer, TrainerHttpError, ensureTinyModel, startTrainerServer } from "../../src/trainer/http.js";

const mlerl = join(repoRoot(), "bin", "mlerl");

test("a missing trainer runtime is a user error that says how to install it", () => {
  assert.throws(
    () => requireTrainerPython({ ...process.env, MLERL_TRAINER_VENV: join(tmpdir(), "no-such-trainer-venv") }),
    (e: Error & { hint?: string }) =>
      /trainer Python runtime .* is not installed/.test(e.message) && /mlerl setup --trainer/.test(e.hint ?? ""),
  );
});

test("`mlerl trainer tiny-model` builds the same files every time", () => {
  const cached = ensureTinyModel();
  const out = mkdtempSync(join(tmpdir(), "mlerl-tiny-"));
  try {
    const r = spawnSync(mlerl, ["trainer", "tiny-model", "--out", join(out, "m")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /tiny model: .* \(\d+ parameters, vocabulary 2048, eos \d+\)/);
    const files = readdirSync(join(out, "m")).filter((f) => !f.startsWith("mlerl-tiny-model"));
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"]) assert.ok(files.includes(f), f);
    for (const f of files)
      assert.ok(readFileSync(join(out, "m", f)).equals(readFileSync(join(cached.dir, f))), `${f} differs between builds`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("`mlerl trainer serve` refuses a model directory that does not exist", () => {
  const r = spawnSync(mlerl, ["trainer", "serve", "--model", "./no/such/model"], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--model \.\/no\/such\/model: no such directory/);
  assert.match(r.stderr, /fix: /);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
});

test("startTrainerServer on a directory that holds no model fails with the server's own last words", { timeout: 120_000 }, async () => {
  const empty = mkdtempSync(join(tmpdir(), "mlerl-not-a-model-"));
  try {
    await assert.rejects(startTrainerServer({ model: empty, threads: 1 }), (e: Error & { hint?: string }) => {
      assert.match(e.message, new RegExp(`the trainer server for ${empty} exited \\(code \\d+\\) before listening; its last output:`));
      assert.match(
        e.message,
        /error: .* has no config\.json, so it is not a Hugging Face model directory/,
        "the server's reason is quoted",
      );
      assert.match(e.hint ?? "", /--model/);
      return true;
    });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test(
  "`mlerl trainer serve --vllm-url` hot-loads every adapter version into vLLM and reports a failed load",
  { timeout: 180_000 },
  async () => {
    // A stand-in for vLLM's runtime LoRA endpoints: records each call; refuses to load version 2.
    const calls: { path: string; body: { lora_name: string; lora_path?: string } }[] = [];
    const seen = new Map<string, boolean>();
    const vllm = createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        const body = JSON.parse(raw) as { lora_name: string; lora_path?: string };
        calls.push({ path: req.url ?? "", body });
        if (body.lora_path)
          seen.set(
            body.lora_name,
            existsSync(join(body.lora_path, "adapter_config.json")) && existsSync(join(body.lora_path, "adapter_model.safetensors")),
          );
        if (body.lora_name === "pol-v2" && req.url === "/v1/load_lora_adapter") {
          res.writeHead(400, { "content-type": "application/json" });
          return res.end(JSON.stringify({ error: { message: "adapter rank exceeds --max-lora-rank" } }));
        }
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(`Success: LoRA adapter '${body.lora_name}' added successfully.`);
      });
    });
    await new Promise<void>((r) => vllm.listen(0, "127.0.0.1", r));
    const vllmUrl = `http://127.0.0.1:${(vllm.address() as AddressInfo).port}`;
    const adapters = mkdtempSync(join(tmpdir(), "mlerl-adapters-"));
    const child = spawn(
      mlerl,
      ["trainer", "serve", "--port", "0", "--threads", "1", "--vllm-url", vllmUrl, "--adapter-name", "pol", "--adapter-dir", adapters],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on("line", (line) => {
          const m = /"url": "([^"]+)"/.exec(line);
          if (m) resolve(m[1]!);
        });
        child.once("exit", () => reject(new Error(`server exited: ${stderr}`)));
      });
      const t = await HttpTrainer.connect(url);
      const caps = await t.capabilities();
      assert.equal(caps.vllm, vllmUrl);
      assert.deepEqual(
        calls.map((c) => c.body.lora_name),
        ["pol-v0"],
        "version 0 is published at start",
      );
      const datum = {
        modelInput: [1, 10, 11, 12],
        targetTokens: [10, 11, 12, 13],
        logprobs: [0, -7.6, -7.6, -7.6],
        advantages: [0, 1, 1, 1],
      };
      await t.forwardBackward([datum], { name: "ppo" });
      assert.equal((await t.optimStep({ learningRate: 1e-3 })).version, 1);
      assert.equal(calls.at(-1)!.body.lora_name, "pol-v1");
      assert.equal(seen.get("pol-v1"), true, "the adapter directory vLLM is pointed at holds a PEFT adapter");
      const e = await t.optimStep({ learningRate: 1e-3 }).catch((err: unknown) => err);
      assert.ok(e instanceof TrainerHttpError);
      assert.equal(e.status, 502);
      assert.equal(e.type, "vllm_adapter_load_failed");
      assert.match(e.message, /the optimizer step to version 2 was applied, but .*max-lora-rank/);
      assert.equal(await t.refreshVersion(), 2);
      for (let v = 3; v <= 6; v++) await t.optimStep({ learningRate: 1e-3 });
      // Four versions stay loaded; older ones are unloaded from vLLM and deleted from disk.
      const unloaded = calls.filter((c) => c.path === "/v1/unload_lora_adapter").map((c) => c.body.lora_name);
      assert.deepEqual(unloaded, ["pol-v0", "pol-v1"]);
      assert.deepEqual(readdirSync(adapters).sort(), ["pol-v3", "pol-v4", "pol-v5", "pol-v6"]);
    } finally {
      child.kill("SIGINT");
      await exited;
      vllm.close();
      rmSync(adapters, { recursive: true, force: true });
    }
  },
);
