/**
 * `mlerl train --policy openai --trainer http`: a real language model sampled through an OpenAI-compatible server
 * and trained by a trainer server (protocol 1, docs/trainer-protocol.md), wired into the same loop as the built-in
 * policy. Two layouts:
 * - one process: the mlerl reference trainer samples too (base URL = trainer URL); model "policy" is the base
 *   model with the current adapter, "base" the frozen copy the LM instrumenter uses;
 * - a vLLM server beside the trainer: the trainer hot-loads each new adapter there as "<adapterName>-v<N>",
 *   and the sampler asks for the adapter of the trainer's current version, so sampling follows training.
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import { AstInstrumenter } from "../instrument/ast.js";
import { CheckedInstrumenter } from "../instrument/fallback.js";
import { LmInstrumenter } from "../instrument/lm.js";
import type { Instrumenter } from "../instrument/types.js";
import { apiRoot } from "../llm/openai-client.js";
import { OpenAISampler } from "./openai.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { HttpTrainer } from "../trainer/http.js";
import type { Trainer } from "../trainer/types.js";
import { SamplerTrainerPolicy } from "./adapter.js";
import type { PolicyPort } from "../core/rollout.js";
import { samplersOf, type TrainConfig } from "../core/config.js";

/** What this module reads from GET /capabilities (other fields are the trainer's business). */
export const TrainerCapabilities = z
  .object({
    protocol: z.number().int(),
    model: z.string(),
    vllm: z.string().nullish(),
    adapterName: z.string().nullish(),
  })
  .loose();
export type TrainerCapabilities = z.infer<typeof TrainerCapabilities>;

export const DEFAULT_OPENAI = { model: "policy", api: "chat", maxTokens: 2048 } as const;

/** The trainer URL without a trailing slash or `/v1`, for messages and comparisons. */
function serverRoot(url: string): string {
  return apiRoot(url).replace(/\/v1$/, "");
}

/** True when sampling and training are one server (compared by host and port, so localhost = 127.0.0.1). */
export function sameServer(a: string, b: string): boolean {
  const norm = (u: string) => {
    const url = new URL(serverRoot(u));
    const host = url.hostname === "localhost" || url.hostname === "[::1]" ? "127.0.0.1" : url.hostname;
    return `${url.protocol}//${host}:${url.port || (url.protocol === "https:" ? "443" : "80")}${url.pathname.replace(/\/+$/, "")}`;
  };
  return norm(a) === norm(b);
}

/** Connects to the trainer (health, protocol, capabilities); a trainer that is not there is a user error naming its URL. */
export async function connectTrainer(trainerUrl: string): Promise<{ trainer: HttpTrainer; caps: TrainerCapabilities }> {
  const trainer = await HttpTrainer.connect(trainerUrl);
  const caps = TrainerCapabilities.safeParse(await trainer.capabilities());
  if (!caps.success)
    throw new UserError(
      `the trainer at ${trainer.url} sent capabilities without a model name`,
      "check that --trainer-url points at an mlerl trainer server",
    );
  return { trainer, caps: caps.data };
}

/** Checks the fields `--policy openai` needs, so train() callers get the same messages as the CLI's users. */
export function requireLmFields(config: TrainConfig): { baseUrl: string; trainerUrl: string } {
  if (config.trainer !== "http")
    throw new UserError(
      "--policy openai needs --trainer http",
      "the in-process trainer only trains the built-in fragment LM; start a trainer server and pass --trainer http --trainer-url URL",
    );
  if (!config.baseUrl)
    throw new UserError(
      "--policy openai needs --base-url",
      "pass the OpenAI-compatible server to sample from, e.g. --base-url http://127.0.0.1:8600 (the reference trainer) or your vLLM server",
    );
  if (!config.trainerUrl)
    throw new UserError(
      "--trainer http needs --trainer-url",
      "pass the trainer server's address, e.g. --trainer-url http://127.0.0.1:8600",
    );
  return { baseUrl: config.baseUrl, trainerUrl: config.trainerUrl };
}

/**
 * The sampler's model name for a policy version. On the reference trainer, "policy" always is the current
 * adapter; on vLLM each version has its own adapter name.
 */
export function modelForVersion(
  config: TrainConfig,
  caps: TrainerCapabilities,
  warn: (line: string) => void = () => {},
): (version: number) => string {
  const { baseUrl, trainerUrl } = requireLmFields(config);
  if (sameServer(baseUrl, trainerUrl)) {
    const model = config.model ?? DEFAULT_OPENAI.model;
    return () => model;
  }
  if (!caps.vllm) {
    throw new UserError(
      `sampling from ${baseUrl} while training at ${trainerUrl}, but that trainer publishes its adapters nowhere`,
      `start the trainer with --vllm-url ${serverRoot(baseUrl)} so each update reaches the sampler, or sample from the trainer itself (--base-url ${serverRoot(trainerUrl)})`,
    );
  }
  if (!sameServer(caps.vllm, baseUrl)) {
    // The same vLLM can have another name from the trainer's machine, so this is only a warning; a wrong
    // server shows up at the first request as an unknown model "<name>-v0".
    warn(
      `warning: the trainer at ${trainerUrl} publishes adapters to ${caps.vllm}, and mlerl samples from ${baseUrl}: make sure that is the same server`,
    );
  }
  const prefix = config.model ?? caps.adapterName ?? DEFAULT_OPENAI.model;
  return (version) => `${prefix}-v${version}`;
}

/** Everything about the servers that can be checked before a run is stored: fields, the trainer, the layout. */
export async function preflightLm(config: TrainConfig, log: (line: string) => void = () => {}): Promise<void> {
  const { trainerUrl } = requireLmFields(config);
  modelForVersion(config, (await connectTrainer(trainerUrl)).caps, log);
}

/** The instrumenter for a real-LM run: AST alone, or the frozen LM checked against it. */
export async function lmInstrumenterFor(config: TrainConfig, ast: AstInstrumenter): Promise<Instrumenter> {
  if (config.instrumenter !== "lm") return ast;
  if (config.policy !== "openai")
    throw new UserError(
      "--instrumenter lm needs --policy openai",
      "the frozen LM is the real policy's base model; with the built-in policy use the AST instrumenter",
    );
  const { baseUrl, trainerUrl } = requireLmFields(config);
  const local = sameServer(baseUrl, trainerUrl);
  const model = config.instrumentModel ?? (local ? "base" : (await connectTrainer(trainerUrl)).caps.model);
  const lm = new LmInstrumenter({
    baseUrl,
    model,
    api: config.api ?? DEFAULT_OPENAI.api,
    retries: 2,
    timeoutMs: 300_000,
  });
  return new CheckedInstrumenter(lm, ast);
}

/**
 * A Trainer whose every failure is a UserError naming the trainer's URL and how to continue, so a server that dies
 * mid-run ends `mlerl train` with a message, not a stack trace (the run is resumable).
 */
export class NamedTrainer implements Trainer {
  readonly name: string;

  constructor(
    private readonly inner: Trainer,
    private readonly url: string,
  ) {
    this.name = inner.name;
  }

  version(): number {
    return this.inner.version();
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      // The HTTP client's errors already name the URL and the endpoint.
      if (e instanceof UserError) throw e;
      throw new UserError(
        `trainer at ${this.url}: ${what} failed: ${e instanceof Error ? e.message : String(e)}`,
        "restart the trainer (with the same model) and continue the run with `mlerl train --resume RUN_DIR`: it reloads the last checkpoint",
      );
    }
  }

  forwardBackward(...args: Parameters<Trainer["forwardBackward"]>) {
    return this.call("forward_backward", () => this.inner.forwardBackward(...args));
  }

  optimStep(...args: Parameters<Trainer["optimStep"]>) {
    return this.call("optim_step", () => this.inner.optimStep(...args));
  }

  save(dir: string) {
    return this.call(`save to ${dir}`, () => this.inner.save(dir));
  }

  load(dir: string) {
    return this.call(`load from ${dir}`, () => this.inner.load(dir));
  }
}

/**
 * The PolicyPort of a real-LM run: the trainer restored from the run's last checkpoint (if any), a sampler that
 * follows the trainer's version, both behind the shared SamplerTrainerPolicy.
 */
export async function openLmPolicy(opts: {
  config: TrainConfig;
  tasks: ReadonlyMap<string, { spec: TaskSpec; paths: TaskPaths }>;
  /** The run's newest checkpoint dir, when resuming. */
  checkpoint: string | undefined;
  /** The stored version of that checkpoint (seeds the sampling stream like the built-in policy's). */
  latestVersion: number;
  log: (line: string) => void;
}): Promise<{ policy: PolicyPort; close(): void }> {
  const { config } = opts;
  const { baseUrl, trainerUrl } = requireLmFields(config);
  const connected = await connectTrainer(trainerUrl);
  // Warnings were given by the preflight.
  const modelOf = modelForVersion(config, connected.caps);
  const trainer = new NamedTrainer(connected.trainer, connected.trainer.url);
  if (opts.checkpoint) {
    await trainer.load(opts.checkpoint);
    opts.log(`trainer at ${serverRoot(trainerUrl)}: loaded ${opts.checkpoint} (version ${trainer.version()})`);
  } else if (trainer.version() !== 0) {
    opts.log(
      `warning: the trainer at ${serverRoot(trainerUrl)} is already at version ${trainer.version()}; this run starts from its current weights`,
    );
  }
  const sampler = new OpenAISampler({
    baseUrl,
    model: modelOf,
    api: config.api ?? DEFAULT_OPENAI.api,
    maxTokens: config.maxTokens ?? DEFAULT_OPENAI.maxTokens,
    concurrency: samplersOf(config),
    publicDirOf: (task) => {
      const t = opts.tasks.get(task.id);
      if (!t) throw new Error(`no prepared task ${task.id}`);
      return t.paths.publicDir;
    },
    timeLimitSec: config.timeoutSec,
    version: () => trainer.version(),
    // No abort signal: a Ctrl-C lets the request in progress finish, then the loop stops cleanly.
  });
  const specs = new Map([...opts.tasks].map(([id, t]) => [id, t.spec]));
  const policy = new SamplerTrainerPolicy(sampler, trainer, specs, {
    loss: { name: config.loss, clipLow: config.clip, clipHigh: config.clip },
    adam: { learningRate: config.learningRate, maxGradNorm: 1 },
    seed: config.seed + opts.latestVersion * 7919,
    epochs: config.epochs,
  });
  return { policy, close() {} };
}
