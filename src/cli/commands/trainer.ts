import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { readNumber } from "../flags.js";
import { UserError } from "../../errors.js";
import { requireTrainerPython, trainerPackageRoot } from "../../runtime/trainer-venv.js";
import { ensureTinyModel, serverArgs } from "../../trainer/http-server.js";

interface ServeOptions {
  model?: string;
  host: string;
  port: string;
  loraR: string;
  loraAlpha: string;
  loraTargets: string;
  seed: string;
  device?: string;
  dtype: string;
  threads?: string;
  maxBatchTokens: string;
  load?: string;
  vllmUrl?: string;
  adapterName: string;
  adapterDir?: string;
  verbose?: boolean;
}

const DTYPES = ["float32", "bfloat16", "float16"] as const;

function dtypeArg(v: string): (typeof DTYPES)[number] {
  const found = DTYPES.find((d) => d === v);
  if (!found) throw new UserError(`--dtype must be one of ${DTYPES.join(", ")}, got '${v}'`, "use bfloat16 on a GPU, float32 on CPU");
  return found;
}

/** A local path is passed absolute (the server runs in another directory); anything else is a hub id. */
function modelArg(model: string): string {
  if (model.startsWith(".") || model.startsWith("/") || existsSync(model)) {
    const abs = resolve(model);
    if (!existsSync(abs))
      throw new UserError(
        `--model ${model}: no such directory`,
        "pass a Hugging Face model directory, or leave --model out to serve the tiny test model",
      );
    return abs;
  }
  return model;
}

async function serve(o: ServeOptions): Promise<void> {
  const { python } = requireTrainerPython();
  // Every flag is checked before anything slow happens (building the tiny model, importing torch).
  const flags = {
    host: o.host,
    port: readNumber("--port", o.port, { int: true, min: 0 }),
    loraR: readNumber("--lora-r", o.loraR, { int: true, min: 1 }),
    loraAlpha: readNumber("--lora-alpha", o.loraAlpha, { int: true, min: 1 }),
    loraTargets: o.loraTargets,
    seed: readNumber("--seed", o.seed, { int: true, min: 0 }),
    device: o.device,
    dtype: dtypeArg(o.dtype),
    threads: o.threads === undefined ? undefined : readNumber("--threads", o.threads, { int: true, min: 1 }),
    maxBatchTokens: readNumber("--max-batch-tokens", o.maxBatchTokens, { int: true, min: 1 }),
    load: o.load === undefined ? undefined : resolve(o.load),
    vllmUrl: o.vllmUrl,
    adapterName: o.adapterName,
    adapterDir: o.adapterDir === undefined ? undefined : resolve(o.adapterDir),
    verbose: o.verbose,
  };
  let model: string;
  if (o.model) {
    model = modelArg(o.model);
  } else {
    model = ensureTinyModel().dir;
    process.stderr.write(`no --model given: serving the tiny test model at ${model} (random weights, for tests and demos)\n`);
  }
  const args = serverArgs({ ...flags, model });
  const child = spawn(python, args, {
    cwd: trainerPackageRoot(),
    env: { ...process.env, PYTHONPATH: trainerPackageRoot(), PYTHONUNBUFFERED: "1", TOKENIZERS_PARALLELISM: "false" },
    stdio: "inherit",
  });
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  process.on("SIGINT", forward("SIGTERM"));
  process.on("SIGTERM", forward("SIGTERM"));
  const code = await new Promise<number>((r) => child.once("exit", (c, s) => r(c ?? (s ? 0 : 1))));
  process.exitCode = code;
}

export function defineTrainer(trainer: Command): void {
  trainer
    .command("serve")
    .description(
      "serve a model for training (forward_backward, optim_step, save, load) and sampling (/v1/completions, /v1/chat/completions) on one port",
    )
    .option("--model <path>", "Hugging Face model directory or hub id (default: the tiny test model, built on first use)")
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port to listen on (0 = any free port, printed on stdout)", "8600")
    .option("--lora-r <n>", "LoRA rank", "8")
    .option("--lora-alpha <n>", "LoRA alpha", "16")
    .option("--lora-targets <names>", "comma-separated module names to adapt, or all-linear", "all-linear")
    .option("--seed <n>", "seed of the adapter's initialisation", "0")
    .option("--device <dev>", "torch device, e.g. cpu or cuda:0 (default: cuda when available)")
    .option("--dtype <type>", "weights dtype: float32 | bfloat16 | float16 (logprobs are always computed in float32)", "float32")
    .option("--threads <n>", "torch CPU threads (default: torch's choice)")
    .option(
      "--max-batch-tokens <n>",
      "padded tokens per forward pass of forward_backward: rows × longest row (lower it if the GPU runs out of memory)",
      "8192",
    )
    .option("--load <dir>", "start from a checkpoint directory written by /save (weights, optimizer state, version)")
    .option("--vllm-url <url>", "vLLM server to hot-load each new adapter into as <adapter-name>-v<version>")
    .option("--adapter-name <name>", "adapter name prefix in vLLM", "policy")
    .option("--adapter-dir <dir>", "where adapters for vLLM are written (vLLM must read it; default a temporary directory)")
    .option("--verbose", "log every request")
    .action(async (o: ServeOptions) => serve(o));

  trainer
    .command("tiny-model")
    .description(
      "build the tiny test model: a random 2-layer Qwen2 and a byte-level BPE tokenizer trained on this repo's text (seconds; nothing downloaded; same files every time)",
    )
    .requiredOption("--out <dir>", "directory to write the model and tokenizer to (replaced if it exists)")
    .option("--vocab <n>", "tokenizer vocabulary size", "2048")
    .option("--hidden <n>", "hidden size", "64")
    .option("--layers <n>", "decoder layers", "2")
    .option("--seed <n>", "weight initialisation seed", "0")
    .action((o: { out: string; vocab: string; hidden: string; layers: string; seed: string }) => {
      const info = ensureTinyModel({
        out: resolve(o.out),
        vocab: readNumber("--vocab", o.vocab, { int: true, min: 300 }),
        hidden: readNumber("--hidden", o.hidden, { int: true, min: 8 }),
        layers: readNumber("--layers", o.layers, { int: true, min: 1 }),
        seed: readNumber("--seed", o.seed, { int: true, min: 0 }),
      });
      process.stdout.write(`tiny model: ${info.dir} (${info.parameters} parameters, vocabulary ${info.vocab}, eos ${info.eosTokenId})\n`);
    });
}
