/**
 * `mlerl train --policy openai --trainer http`: a real language model sampled through an OpenAI-compatible server
 * and trained by a trainer server (protocol 1, docs/trainer-protocol.md), wired into the same loop as the built-in
 * policy. Two layouts:
 * - one process: the mlerl reference trainer samples too (base URL = trainer URL); model "policy" is the base
 *   model with the current adapter, "base" the frozen copy the LM instrumenter uses;
 * - a vLLM server beside the trainer: the trainer hot-loads each new adapter there as "<adapterName>-v<N>",
 *   and the sampler asks for the adapter of the trainer's current version, so sampling follows training.
 */
import { UserError } from "../errors.js";
import { OpenAISampler } from "../policy/openai.js";
import { connectTrainer, sameServer, serverRoot, type TrainerCapabilities } from "../trainer/connect.js";
import type { Trainer } from "../trainer/types.js";
import { SamplerTrainerPolicy } from "../rl/policy-adapter.js";
import type { PolicyPort } from "../core/policy-port.js";
import { lmUrls, type PolicyConfig, type RunConfig } from "../core/config.js";
import type { PreparedTask } from "../core/task.js";

/** The reference trainer's name for the current adapter. */
export const DEFAULT_MODEL = "policy";

/**
 * The sampler's model name for a policy version. On the reference trainer, "policy" always is the current
 * adapter; on vLLM each version has its own adapter name.
 */
export function modelForVersion(
  policy: PolicyConfig,
  caps: TrainerCapabilities,
  warn: (line: string) => void = () => {},
): (version: number) => string {
  const { baseUrl, trainerUrl } = lmUrls(policy);
  if (sameServer(baseUrl, trainerUrl)) {
    const model = policy.model ?? DEFAULT_MODEL;
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
  const prefix = policy.model ?? caps.adapterName ?? DEFAULT_MODEL;
  return (version) => `${prefix}-v${version}`;
}

/** Everything about the servers that can be checked before a run is stored: fields, the trainer, the layout. */
export async function preflightLm(policy: PolicyConfig, log: (line: string) => void = () => {}): Promise<void> {
  const { trainerUrl } = lmUrls(policy);
  modelForVersion(policy, (await connectTrainer(trainerUrl)).caps, log);
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
  config: RunConfig;
  tasks: ReadonlyMap<string, PreparedTask>;
  /** The run's newest checkpoint dir, when resuming. */
  checkpoint: string | undefined;
  /** The stored version of that checkpoint (seeds the sampling stream like the built-in policy's). */
  latestVersion: number;
  log: (line: string) => void;
}): Promise<{ policy: PolicyPort; close(): void }> {
  const { config } = opts;
  const { baseUrl, trainerUrl } = lmUrls(config.policy);
  const connected = await connectTrainer(trainerUrl);
  // Warnings were given by the preflight.
  const modelOf = modelForVersion(config.policy, connected.caps);
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
    api: config.policy.api,
    maxTokens: config.policy.maxTokens,
    concurrency: config.loop.samplers,
    publicDirOf: (task) => {
      const t = opts.tasks.get(task.id);
      if (!t) throw new Error(`no prepared task ${task.id}`);
      return t.paths.publicDir;
    },
    timeLimitSec: config.env.timeoutSec,
    version: () => trainer.version(),
    // No abort signal: a Ctrl-C lets the request in progress finish, then the loop stops cleanly.
  });
  const specs = new Map([...opts.tasks].map(([id, t]) => [id, t.spec]));
  const policy = new SamplerTrainerPolicy(sampler, trainer, specs, {
    loss: { name: config.optim.loss, clipLow: config.optim.clip, clipHigh: config.optim.clip },
    adam: { learningRate: config.optim.lr, maxGradNorm: 1 },
    seed: config.seed + opts.latestVersion * 7919,
    epochs: config.optim.epochs,
  });
  return { policy, close() {} };
}
