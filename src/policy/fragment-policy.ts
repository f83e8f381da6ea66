import { UserError } from "../errors.js";
import { Rng } from "../util/random.js";
import { type CheckpointData, CHECKPOINT_FORMAT, readCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { priorTable } from "./grammar.js";
import { type CopyPrior, disposeDecode, FragmentLM, type ModelConfig, parameterCount } from "./model.js";
import { encodePrompt } from "./prompt.js";
import { renderProgram } from "./render.js";
import { initTf, tf } from "./tf.js";
import type { Completion, SampleOptions, SampleRequest, Sampler } from "./types.js";
import { PAD, PREVIOUS, SEP, Vocabulary } from "./vocab.js";

export interface FragmentPolicyOptions {
  seed?: number;
  dModel?: number;
  nLayers?: number;
  nHeads?: number;
  dFF?: number;
  /** "mask" (default): only well-formed programs; "soft": unconstrained under a stage-order prior; "none". */
  priorMode?: ModelConfig["priorMode"];
  priorStrength?: number;
  /** Logit bonus of the previous program's fragments on an improve prompt (see `CopyPrior`); 0 turns it off. */
  copyStrength?: number;
  /** Most fragments a program may have (the end token included). */
  maxNewTokens?: number;
}

export const DEFAULT_POLICY: Required<FragmentPolicyOptions> = {
  seed: 0,
  dModel: 96,
  nLayers: 2,
  nHeads: 4,
  dFF: 256,
  priorMode: "mask",
  priorStrength: 3.5,
  copyStrength: 2.5,
  maxNewTokens: 16,
};

/** Room for the longest prompt (descriptors + feedback + a previous program) plus a program. */
const CONTEXT = 72;

/**
 * The built-in policy: vocabulary, network and the version of its weights. One instance is shared by the sampler
 * and the in-process trainer, so the sampler always samples with the trainer's latest version.
 */
export class FragmentPolicy {
  version = 0;

  private constructor(
    readonly vocab: Vocabulary,
    readonly model: FragmentLM,
    readonly maxNewTokens: number,
  ) {}

  get config(): ModelConfig {
    return this.model.config;
  }

  get parameterCount(): number {
    return parameterCount(this.model.config);
  }

  /** Longest prompt, so a prompt plus a full program fits the context. */
  get maxPromptTokens(): number {
    return this.config.maxLen - this.maxNewTokens;
  }

  /** A freshly initialised policy: random weights, deterministic given the seed. */
  static async create(options: FragmentPolicyOptions = {}): Promise<FragmentPolicy> {
    await initTf();
    const o = { ...DEFAULT_POLICY, ...options };
    const vocab = new Vocabulary();
    if (o.dModel % o.nHeads !== 0)
      throw new UserError(`dModel ${o.dModel} is not divisible by nHeads ${o.nHeads}`, "pick a dModel that is a multiple of nHeads");
    const config: ModelConfig = {
      vocabSize: vocab.size,
      outputSize: vocab.outputSize,
      dModel: o.dModel,
      nLayers: o.nLayers,
      nHeads: o.nHeads,
      dFF: o.dFF,
      maxLen: Math.max(CONTEXT, o.maxNewTokens + 24),
      seed: o.seed,
      priorMode: o.priorMode,
      priorStrength: o.priorStrength,
      copyStrength: o.copyStrength,
    };
    const model = new FragmentLM(config, priorTable(vocab, config.priorMode, config.priorStrength), undefined, copyPriorOf(vocab));
    return new FragmentPolicy(vocab, model, o.maxNewTokens);
  }

  /** Load weights and version from a checkpoint directory (optimizer state, if any, is returned for a trainer). */
  static async load(dir: string): Promise<{ policy: FragmentPolicy; checkpoint: CheckpointData }> {
    await initTf();
    const checkpoint = readCheckpoint(dir);
    const m = checkpoint.manifest;
    const vocab = new Vocabulary();
    if (m.vocabFingerprint !== vocab.fingerprint() || m.vocabSize !== vocab.size || m.outputSize !== vocab.outputSize) {
      throw new UserError(
        `${dir} was saved with a different fragment vocabulary (${m.vocabSize} tokens, fingerprint ${m.vocabFingerprint}; this mlerl has ${vocab.size}, ${vocab.fingerprint()})`,
        "start from a fresh policy (`mlerl policy init`) or use the mlerl version that wrote the checkpoint",
      );
    }
    const model = new FragmentLM(
      m.config,
      priorTable(vocab, m.config.priorMode, m.config.priorStrength),
      checkpoint.weights,
      copyPriorOf(vocab),
    );
    const policy = new FragmentPolicy(vocab, model, m.maxNewTokens);
    policy.version = m.version;
    return { policy, checkpoint };
  }

  /** Save weights, config and version (and optimizer moments when given). */
  save(dir: string, optimizer?: { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> }): void {
    const manifest = {
      format: CHECKPOINT_FORMAT,
      formatVersion: 1 as const,
      config: this.config,
      vocabFingerprint: this.vocab.fingerprint(),
      vocabSize: this.vocab.size,
      outputSize: this.vocab.outputSize,
      version: this.version,
      maxNewTokens: this.maxNewTokens,
      ...(optimizer ? { optimizerStep: optimizer.step } : {}),
    };
    writeCheckpoint(dir, {
      manifest,
      weights: this.model.exportWeights(),
      ...(optimizer ? { optimizer: { m: optimizer.m, v: optimizer.v } } : {}),
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

function copyPriorOf(vocab: Vocabulary): CopyPrior {
  return { previousId: vocab.id(PREVIOUS), sepId: vocab.id(SEP) };
}

/** Draw an index from log-probabilities with one uniform number (inverse CDF; deterministic given the number). */
function drawIndex(logprobs: Float32Array, offset: number, n: number, u: number): number {
  let acc = 0;
  for (let j = 0; j < n; j++) {
    acc += Math.exp(logprobs[offset + j] as number);
    if (u < acc) return j;
  }
  // Rounding left the total a hair under u: take the last token with any mass.
  for (let j = n - 1; j >= 0; j--) if (Number.isFinite(logprobs[offset + j] as number) && (logprobs[offset + j] as number) > -80) return j;
  return 0;
}

/** Samples programs from the fragment LM with incremental (key/value-cached) decoding. */
export class FragmentSampler implements Sampler {
  readonly name = "fragment";

  constructor(readonly policy: FragmentPolicy) {}

  version(): number {
    return this.policy.version;
  }

  async sample(requests: SampleRequest[], options: SampleOptions): Promise<Completion[]> {
    if (requests.length === 0) return [];
    const { vocab, model, maxNewTokens } = this.policy;
    const version = this.policy.version;
    const prompts = requests.map((r) => encodePrompt(vocab, r, this.policy.maxPromptTokens));
    const width = Math.max(...prompts.map((p) => p.length));
    const pad = vocab.id(PAD);
    const padding = prompts.map((p) => width - p.length);
    const rows = prompts.map((p, b) => [...new Array<number>(padding[b] ?? 0).fill(pad), ...p]);
    const rng = new Rng(options.seed);
    const n = vocab.outputSize;
    const tokens: number[][] = requests.map(() => []);
    const logprobs: number[][] = requests.map(() => []);
    const done = requests.map(() => false);
    let { next, state } = model.beginDecode(rows, padding);
    try {
      for (let step = 0; step < maxNewTokens; step++) {
        const lp = (await next.data()) as Float32Array;
        next.dispose();
        const fed: number[] = [];
        for (let b = 0; b < requests.length; b++) {
          // Every row draws a number every step, so one row's choices never shift another row's random stream.
          const u = rng.next();
          if (done[b]) {
            fed.push(pad);
            continue;
          }
          const j = drawIndex(lp, b * n, n, u);
          tokens[b]!.push(j);
          logprobs[b]!.push(lp[b * n + j] as number);
          if (j === 0) done[b] = true;
          fed.push(j);
        }
        if (done.every(Boolean) || step === maxNewTokens - 1) {
          next = tf.zeros([1, 1]) as tf.Tensor2D;
          break;
        }
        ({ next, state } = model.stepDecode(state, fed));
      }
    } finally {
      next.dispose();
      disposeDecode(state);
    }
    return requests.map((r, b) => ({
      promptTokens: prompts[b]!,
      tokens: tokens[b]!,
      logprobs: logprobs[b]!,
      text: renderProgram(r.task, vocab, tokens[b]!),
      version,
      finished: done[b]!,
    }));
  }
}
