/**
 * Starting the reference trainer server (python/trainer) as a child process, and building the tiny test model it
 * can serve without downloading anything. Used by `mlerl trainer`, by tests and by end-to-end runs.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { UserError } from "../errors.js";
import { mlerlHome, repoRoot } from "../paths.js";
import { requireTrainerPython, trainerPackageRoot } from "../runtime/trainer-venv.js";

export interface TrainerServerOptions {
  /** Model directory (or hub id); default: the tiny test model, built on first use. */
  model?: string;
  host?: string;
  /** 0 (default) lets the server pick a free port; the chosen one is in the result. */
  port?: number;
  loraR?: number;
  loraAlpha?: number;
  loraTargets?: string;
  seed?: number;
  threads?: number;
  /** Padded tokens per forward pass of forward_backward (the server's default is 8192). */
  maxBatchTokens?: number;
  device?: string;
  /** Weights dtype: float32 (default), bfloat16 or float16. */
  dtype?: "float32" | "bfloat16" | "float16";
  /** Checkpoint directory (written by save) to start from. */
  load?: string;
  vllmUrl?: string;
  adapterName?: string;
  adapterDir?: string;
  /** Log every request to stderr (default false). */
  verbose?: boolean;
  /** How long to wait for the server to answer, milliseconds (importing torch alone takes seconds). */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface TrainerServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far (the last 64 kB). */
  log(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

/** Environment of the Python side: the package on the path, unbuffered output, no hub traffic for local models. */
function serverEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const base = env ?? process.env;
  return {
    ...base,
    PYTHONPATH: trainerPackageRoot(),
    PYTHONUNBUFFERED: "1",
    HF_HUB_DISABLE_TELEMETRY: "1",
    TOKENIZERS_PARALLELISM: "false",
  };
}

/** The arguments of `python -m trainer` for these options. */
export function serverArgs(o: TrainerServerOptions & { model: string }): string[] {
  const a = ["-m", "trainer", "--model", o.model, "--host", o.host ?? "127.0.0.1", "--port", String(o.port ?? 0)];
  const opt = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) a.push(flag, String(v));
  };
  opt("--lora-r", o.loraR);
  opt("--lora-alpha", o.loraAlpha);
  opt("--lora-targets", o.loraTargets);
  opt("--seed", o.seed);
  opt("--threads", o.threads);
  opt("--max-batch-tokens", o.maxBatchTokens);
  opt("--device", o.device);
  opt("--dtype", o.dtype);
  opt("--load", o.load);
  opt("--vllm-url", o.vllmUrl);
  opt("--adapter-name", o.adapterName);
  opt("--adapter-dir", o.adapterDir);
  if (!o.verbose) a.push("--quiet");
  return a;
}

const Listening = z.object({ event: z.literal("listening"), url: z.string(), port: z.number().int() });

export async function startTrainerServer(opts: TrainerServerOptions = {}): Promise<TrainerServer> {
  const { python } = requireTrainerPython(opts.env);
  const model = opts.model ?? ensureTinyModel({ env: opts.env }).dir;
  const child = spawn(python, serverArgs({ ...opts, model }), {
    cwd: trainerPackageRoot(),
    env: serverEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (s: string) => {
    stderr = (stderr + s).slice(-65_536);
    if (opts.verbose) process.stderr.write(s);
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  try {
    const listening = await new Promise<z.infer<typeof Listening>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not start within ${timeoutMs / 1000} s`)), timeoutMs);
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          return;
        }
        const ok = Listening.safeParse(json);
        if (ok.success) {
          clearTimeout(timer);
          resolve(ok.data);
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`exited (${signal ?? `code ${code}`}) before listening`));
      });
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    const url = listening.url.replace("0.0.0.0", "127.0.0.1");
    return { url, port: listening.port, child, log: () => stderr, stop };
  } catch (e) {
    await stop();
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    throw new UserError(
      `the trainer server for ${model} ${(e as Error).message}${tail ? `; its last output:\n${tail}` : ""}`,
      "check --model (a Hugging Face model directory) and that the port is free; `mlerl trainer serve --verbose` shows the whole log",
    );
  }
}

const TinyInfo = z.object({ out: z.string(), vocab: z.number().int(), parameters: z.number().int(), eosTokenId: z.number().int() });
export type TinyModelInfo = z.infer<typeof TinyInfo> & { dir: string };

export interface TinyModelOptions {
  /** Where to write it; default a cache directory keyed by the builder's source, reused when complete. */
  out?: string;
  vocab?: number;
  hidden?: number;
  layers?: number;
  seed?: number;
  env?: NodeJS.ProcessEnv;
}

const TINY_STAMP = "mlerl-tiny-model.json";

/**
 * The text the tiny model's tokenizer learns from, as make_tiny_model.py's `corpus_files()` picks it (prompts/*.md,
 * tasks/reference/**\/*.py, python/instrument/*.py): part of the cache key, so a cached model is never one built
 * from other text than a fresh build would use.
 */
function tinyCorpusDigest(): string {
  const root = repoRoot();
  const files: string[] = [];
  const list = (dir: string, ext: string, deep: boolean) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && deep) list(p, ext, deep);
      else if (e.isFile() && e.name.endsWith(ext)) files.push(p);
    }
  };
  list(join(root, "prompts"), ".md", false);
  list(join(root, "tasks", "reference"), ".py", true);
  list(join(root, "python", "instrument"), ".py", false);
  const h = createHash("sha256");
  for (const f of files.sort()) h.update(f.slice(root.length)).update("\0").update(readFileSync(f)).update("\0");
  return h.digest("hex");
}

/** The tiny randomly initialised Qwen2 model with its locally trained tokenizer (seconds to build, nothing downloaded). */
export function ensureTinyModel(opts: TinyModelOptions = {}): TinyModelInfo {
  const args: string[] = [];
  for (const [flag, v] of [
    ["--vocab", opts.vocab],
    ["--hidden", opts.hidden],
    ["--layers", opts.layers],
    ["--seed", opts.seed],
  ] as const) {
    if (v !== undefined) args.push(flag, String(v));
  }
  const script = join(trainerPackageRoot(), "trainer", "make_tiny_model.py");
  const key = createHash("sha256")
    .update(readFileSync(script))
    .update(args.join(" "))
    .update(tinyCorpusDigest())
    .digest("hex")
    .slice(0, 12);
  const dir = opts.out ?? join(mlerlHome(opts.env ?? process.env), "tiny-model", key);
  const stamp = join(dir, TINY_STAMP);
  if (opts.out === undefined && existsSync(stamp)) return { ...TinyInfo.parse(JSON.parse(readFileSync(stamp, "utf8"))), dir };
  const { python } = requireTrainerPython(opts.env);
  // Built beside the target and renamed into place, so concurrent first uses never see half a model.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(join(dir, ".."), { recursive: true });
  const r = spawnSync(python, ["-m", "trainer.make_tiny_model", "--out", tmp, ...args], {
    cwd: trainerPackageRoot(),
    env: serverEnv(opts.env),
    encoding: "utf8",
  });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UserError(
      `building the tiny model failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`,
      "run `mlerl setup --trainer` to repair the trainer runtime",
    );
  }
  const info = { ...TinyInfo.parse(JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}")), out: dir };
  writeFileSync(join(tmp, TINY_STAMP), JSON.stringify(info) + "\n");
  if (opts.out !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } else {
    // The cache directory is never deleted once complete (a server may be reading it): if another process
    // renamed its build into place first, the rename fails and this build is dropped.
    if (existsSync(dir) && !existsSync(stamp)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(stamp)) throw e;
    }
  }
  return { ...info, dir };
}
