import { z } from "zod";
import { Rng } from "../util/random.js";
import { tf } from "./tf.js";

/** Shape and prior of the fragment LM. Saved with every checkpoint; everything else is derived from it. */
export const ModelConfig = z.object({
  /** Input vocabulary (every token). */
  vocabSize: z.number().int().positive(),
  /** Output vocabulary: the first `outputSize` token ids (end-of-program and code fragments). */
  outputSize: z.number().int().positive(),
  dModel: z.number().int().positive(),
  nLayers: z.number().int().positive(),
  nHeads: z.number().int().positive(),
  dFF: z.number().int().positive(),
  maxLen: z.number().int().positive(),
  seed: z.number().int(),
  /**
   * How the program grammar enters the logits: "soft" adds `priorStrength` to the logits of fragments that fit the
   * stage after the previous token (every token keeps some probability: sampling is unconstrained), "mask" forbids
   * everything else, "none" leaves the random network alone.
   */
  priorMode: z.enum(["soft", "mask", "none"]),
  priorStrength: z.number().nonnegative(),
  /**
   * Logit bonus, on an improve prompt, of every fragment of the previous program shown in the prompt (0: none;
   * checkpoints written before it existed have none). See `CopyPrior`.
   */
  copyStrength: z.number().nonnegative().default(0),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

const MASKED = -1e9;

/**
 * Where an improve prompt's previous program sits among the prompt tokens: after `previousId`, up to `sepId`.
 * A language model asked to improve a program copies most of it and changes a part; a fresh fragment LM has no
 * such habit and would resample every stage, so its improve attempts would be as random as new drafts. The copy
 * prior adds `copyStrength` to the logits of the previous program's fragments at every step (a fixed offset, like
 * the grammar prior: the sampler and the trainer see the same distribution), so an improvement keeps most of its
 * parent and varies a stage or two, and training moves it from there.
 */
export interface CopyPrior {
  previousId: number;
  sepId: number;
}

/** Parameter names in a fixed order, so saved weights are a plain concatenation. */
function parameterShapes(c: ModelConfig): Array<[string, number[]]> {
  const shapes: Array<[string, number[]]> = [
    ["embed", [c.vocabSize, c.dModel]],
    ["pos", [c.maxLen, c.dModel]],
  ];
  for (let l = 0; l < c.nLayers; l++) {
    shapes.push(
      [`l${l}.ln1.g`, [c.dModel]],
      [`l${l}.ln1.b`, [c.dModel]],
      [`l${l}.wq`, [c.dModel, c.dModel]],
      [`l${l}.wk`, [c.dModel, c.dModel]],
      [`l${l}.wv`, [c.dModel, c.dModel]],
      [`l${l}.wo`, [c.dModel, c.dModel]],
      [`l${l}.ln2.g`, [c.dModel]],
      [`l${l}.ln2.b`, [c.dModel]],
      [`l${l}.w1`, [c.dModel, c.dFF]],
      [`l${l}.b1`, [c.dFF]],
      [`l${l}.w2`, [c.dFF, c.dModel]],
      [`l${l}.b2`, [c.dModel]],
    );
  }
  shapes.push(["lnf.g", [c.dModel]], ["lnf.b", [c.dModel]], ["head", [c.dModel, c.outputSize]], ["headb", [c.outputSize]]);
  return shapes;
}

function initialValues(c: ModelConfig, name: string, shape: number[], rng: Rng): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  if (name.endsWith(".g")) return out.fill(1);
  if (name.endsWith(".b") || name.endsWith("b1") || name.endsWith("b2") || name === "headb") return out;
  // A zero output head: a fresh policy samples exactly its prior (under the grammar mask, every well-formed
  // continuation equally likely, as random search does), not the accidental preferences of random weights, which
  // at a few dozen rollouts per task decided what it never tried. Gradients still reach the head at once.
  if (name === "head") return out;
  // GPT-2 style: N(0, 0.02), residual projections scaled down by depth.
  const residual = name.endsWith(".wo") || name.endsWith(".w2");
  const std = residual ? 0.02 / Math.sqrt(2 * c.nLayers) : 0.02;
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

export function parameterCount(c: ModelConfig): number {
  return parameterShapes(c).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * A decoder-only transformer over fragment tokens. Embeddings are a one-hot matmul because the WASM backend has
 * no gradient kernel for `gather`. The logits of position t are for the token at t+1 and are restricted to the
 * output vocabulary; the grammar prior is a fixed table indexed by the input token at t.
 */
export class FragmentLM {
  readonly params: Map<string, tf.Variable>;
  private readonly prior: tf.Tensor2D | undefined;

  constructor(
    readonly config: ModelConfig,
    /** [vocabSize × outputSize]: logit offsets per previous token (0 = fits, negative = does not). */
    priorTable: Float32Array | undefined,
    weights?: Map<string, Float32Array>,
    private readonly copy?: CopyPrior,
  ) {
    const rng = new Rng(config.seed);
    this.params = new Map();
    for (const [name, shape] of parameterShapes(config)) {
      const given = weights?.get(name);
      const size = shape.reduce((a, b) => a * b, 1);
      if (given && given.length !== size) throw new Error(`weight ${name}: expected ${size} values, got ${given.length}`);
      // Draw even when weights are given, so the generator's stream (and thus other params) never depends on it.
      const init = initialValues(config, name, shape, rng);
      this.params.set(name, tf.variable(tf.tensor(given ?? init, shape), true));
    }
    if (priorTable && config.priorMode !== "none") {
      if (priorTable.length !== config.vocabSize * config.outputSize) throw new Error("prior table has the wrong size");
      this.prior = tf.keep(tf.tensor2d(priorTable, [config.vocabSize, config.outputSize]));
    }
  }

  /** [B, outputSize] copy-prior offsets of each row's prompt, or undefined when there is nothing to copy. */
  private copyBias(rows: readonly (readonly number[])[]): tf.Tensor2D | undefined {
    const strength = this.config.copyStrength;
    if (!this.copy || strength === 0) return undefined;
    const n = this.config.outputSize;
    const bias = new Float32Array(rows.length * n);
    let any = false;
    rows.forEach((row, b) => {
      const start = row.indexOf(this.copy!.previousId);
      if (start < 0) return;
      for (let t = start + 1; t < row.length && row[t] !== this.copy!.sepId; t++) {
        const id = row[t] as number;
        // The end token is never shown; copying it would only end programs early.
        if (id > 0 && id < n) {
          bias[b * n + id] = strength;
          any = true;
        }
      }
    });
    return any ? tf.tensor2d(bias, [rows.length, n]) : undefined;
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`no parameter ${name}`);
    return v;
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, 1e-5))), this.p(`${prefix}.g`)), this.p(`${prefix}.b`));
  }

  /** Token (one-hot matmul) plus position embeddings: [B, S, d]. `positions` is [B, S] int32. */
  private embed(tokens: tf.Tensor2D, positions: tf.Tensor2D): { x: tf.Tensor3D; oneHot: tf.Tensor2D } {
    const c = this.config;
    const [B, S] = tokens.shape;
    const oneHot = tf.cast(tf.oneHot(tf.reshape(tokens, [B * S]) as tf.Tensor1D, c.vocabSize), "float32") as tf.Tensor2D;
    const posHot = tf.cast(tf.oneHot(tf.reshape(positions, [B * S]) as tf.Tensor1D, c.maxLen), "float32");
    const x = tf.add(tf.matMul(oneHot, this.p("embed")), tf.matMul(posHot, this.p("pos")));
    return { x: tf.reshape(x, [B, S, c.dModel]) as tf.Tensor3D, oneHot };
  }

  private heads(t: tf.Tensor2D, B: number, S: number): tf.Tensor4D {
    const H = this.config.nHeads;
    return tf.transpose(tf.reshape(t, [B, S, H, this.config.dModel / H]), [0, 2, 1, 3]) as tf.Tensor4D;
  }

  /**
   * The transformer stack on S new positions. `bias` [B or 1, 1, S, Tk] is added to attention scores (0 = may attend,
   * MASKED = may not); `past` holds keys/values of earlier positions per layer ([B, H, t, dh]) and is returned
   * extended, so one function serves full sequences (training) and incremental decoding (sampling).
   */
  private stack(
    x0: tf.Tensor3D,
    oneHot: tf.Tensor2D,
    bias: tf.Tensor,
    past: Array<{ k: tf.Tensor4D; v: tf.Tensor4D }> | undefined,
    copy: tf.Tensor2D | undefined,
  ): { logprobs: tf.Tensor3D; cache: Array<{ k: tf.Tensor4D; v: tf.Tensor4D }> } {
    const c = this.config;
    const [B, S] = x0.shape;
    const dh = c.dModel / c.nHeads;
    let x: tf.Tensor = x0;
    const cache: Array<{ k: tf.Tensor4D; v: tf.Tensor4D }> = [];
    for (let l = 0; l < c.nLayers; l++) {
      const h = tf.reshape(this.layerNorm(x, `l${l}.ln1`), [B * S, c.dModel]) as tf.Tensor2D;
      const q = this.heads(tf.matMul(h, this.p(`l${l}.wq`)), B, S);
      let k = this.heads(tf.matMul(h, this.p(`l${l}.wk`)), B, S);
      let v = this.heads(tf.matMul(h, this.p(`l${l}.wv`)), B, S);
      const before = past?.[l];
      if (before) {
        k = tf.concat([before.k, k], 2);
        v = tf.concat([before.v, v], 2);
      }
      cache.push({ k, v });
      const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), bias);
      const att = tf.matMul(tf.softmax(scores), v); // [B, H, S, dh]
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B * S, c.dModel]);
      x = tf.add(x, tf.reshape(tf.matMul(merged, this.p(`l${l}.wo`)), [B, S, c.dModel]));
      const h2 = tf.reshape(this.layerNorm(x, `l${l}.ln2`), [B * S, c.dModel]);
      const ff = tf.add(
        tf.matMul(tf.relu(tf.add(tf.matMul(h2, this.p(`l${l}.w1`)), this.p(`l${l}.b1`))), this.p(`l${l}.w2`)),
        this.p(`l${l}.b2`),
      );
      x = tf.add(x, tf.reshape(ff, [B, S, c.dModel]));
    }
    const hf = tf.reshape(this.layerNorm(x, "lnf"), [B * S, c.dModel]);
    let logits: tf.Tensor = tf.add(tf.matMul(hf, this.p("head")), this.p("headb"));
    if (this.prior) logits = tf.add(logits, tf.matMul(oneHot, this.prior));
    let rows: tf.Tensor = tf.reshape(logits, [B, S, c.outputSize]);
    if (copy) rows = tf.add(rows, tf.reshape(copy, [B, 1, c.outputSize]));
    return { logprobs: tf.logSoftmax(rows) as tf.Tensor3D, cache };
  }

  /**
   * Log-probabilities over the output vocabulary at every position of right-padded sequences: [B, T, outputSize].
   * `tokens` is [B, T] int32; position t predicts token t+1. Call inside tf.tidy or a gradient function.
   */
  logprobs(tokens: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = tokens.shape;
    if (T > this.config.maxLen) throw new Error(`sequence of ${T} tokens exceeds the model's context of ${this.config.maxLen}`);
    const positions = tf.tile(tf.reshape(tf.range(0, T, 1, "int32"), [1, T]), [B, 1]) as tf.Tensor2D;
    const { x, oneHot } = this.embed(tokens, positions);
    const causal = tf.reshape(tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), MASKED), [1, 1, T, T]);
    const copy = this.copyBias(tokens.arraySync());
    return this.stack(x, oneHot, causal, undefined, copy).logprobs;
  }

  /**
   * Start incremental decoding from left-padded prompts ([B, P], `padding[b]` leading pad positions per row).
   * Returns the log-probabilities of the next token ([B, outputSize]) and the state to continue from. The caller
   * owns the returned tensors (they are kept out of any tidy scope) and must call `disposeDecode`.
   */
  beginDecode(tokens: number[][], padding: number[]): { next: tf.Tensor2D; state: DecodeState } {
    const B = tokens.length;
    const P = tokens[0]?.length ?? 0;
    if (P > this.config.maxLen) throw new Error(`prompt of ${P} tokens exceeds the model's context of ${this.config.maxLen}`);
    const out = tf.tidy(() => {
      const tok = tf.tensor2d(tokens, [B, P], "int32");
      const pos = tf.tensor2d(
        tokens.map((_, b) => Array.from({ length: P }, (_, t) => Math.max(0, t - (padding[b] ?? 0)))),
        [B, P],
        "int32",
      );
      const keyMask = tf.tensor2d(
        tokens.map((_, b) => Array.from({ length: P }, (_, t) => (t < (padding[b] ?? 0) ? MASKED : 0))),
        [B, P],
      );
      const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([P, P]), -1, 0)), MASKED);
      const bias = tf.add(tf.reshape(causal, [1, 1, P, P]), tf.reshape(keyMask, [B, 1, 1, P]));
      const { x, oneHot } = this.embed(tok, pos);
      const copy = this.copyBias(tokens);
      const { logprobs, cache } = this.stack(x, oneHot, bias, undefined, copy);
      const next = tf.reshape(tf.slice(logprobs, [0, P - 1, 0], [B, 1, this.config.outputSize]), [B, this.config.outputSize]);
      return { next, keyMask, cache, copy };
    });
    return {
      next: out.next as tf.Tensor2D,
      state: { cache: out.cache, keyMask: out.keyMask as tf.Tensor2D, length: P, padding: [...padding], copy: out.copy },
    };
  }

  /** Feed one token per row; returns the next-token log-probabilities and the extended state (old one disposed). */
  stepDecode(state: DecodeState, tokens: number[]): { next: tf.Tensor2D; state: DecodeState } {
    const B = tokens.length;
    const t = state.length;
    if (t + 1 > this.config.maxLen) throw new Error(`decoding past the model's context of ${this.config.maxLen}`);
    const out = tf.tidy(() => {
      const tok = tf.tensor2d(
        tokens.map((x) => [x]),
        [B, 1],
        "int32",
      );
      const pos = tf.tensor2d(
        state.padding.map((p) => [t - p]),
        [B, 1],
        "int32",
      );
      const keyMask = tf.concat([state.keyMask, tf.zeros([B, 1])], 1);
      const { x, oneHot } = this.embed(tok, pos);
      const { logprobs, cache } = this.stack(x, oneHot, tf.reshape(keyMask, [B, 1, 1, t + 1]), state.cache, state.copy);
      return { next: tf.reshape(logprobs, [B, this.config.outputSize]), keyMask, cache };
    });
    const copy = state.copy;
    disposeDecode({ ...state, copy: undefined });
    return {
      next: out.next as tf.Tensor2D,
      state: { cache: out.cache, keyMask: out.keyMask as tf.Tensor2D, length: t + 1, padding: state.padding, copy },
    };
  }

  /** Weights as plain arrays, in parameter order. */
  exportWeights(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, v] of this.params) out.set(name, new Float32Array(v.dataSync()));
    return out;
  }

  /** Overwrite every weight (shapes must match). */
  importWeights(weights: Map<string, Float32Array>): void {
    for (const [name, v] of this.params) {
      const w = weights.get(name);
      if (!w || w.length !== v.size) throw new Error(`weights lack ${name} or have the wrong size`);
      v.assign(tf.tensor(w, v.shape));
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.prior?.dispose();
  }
}

/** Keys/values of every layer so far, the additive key mask [B, t] (left padding) and per-row pad counts. */
export interface DecodeState {
  cache: Array<{ k: tf.Tensor4D; v: tf.Tensor4D }>;
  keyMask: tf.Tensor2D;
  length: number;
  padding: number[];
  /** The copy prior's offsets of each row, fixed by the prompt for the whole decode. */
  copy: tf.Tensor2D | undefined;
}

export function disposeDecode(state: DecodeState): void {
  for (const { k, v } of state.cache) {
    k.dispose();
    v.dispose();
  }
  state.keyMask.dispose();
  state.copy?.dispose();
}

export function shapesOf(c: ModelConfig): Array<[string, number[]]> {
  return parameterShapes(c);
}

/** Entries of a prior table for "mask" mode are MASKED instead of 0 / -strength. */
export const MASKED_LOGIT = MASKED;
