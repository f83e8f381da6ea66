import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { FragmentPolicy } from "../policy/fragment-policy.js";
import { PAD } from "../policy/vocab.js";
import { tf } from "../policy/tf.js";
import type { AdamParams, Datum, ForwardBackwardResult, LossSpec, OptimStepResult, Trainer } from "./types.js";

interface Batch {
  inputs: tf.Tensor2D;
  /** Output index of each target (0 where the target is not an output token). */
  targets: tf.Tensor2D;
  behaviour: tf.Tensor2D;
  advantages: tf.Tensor2D;
  /** 1 where a target is an output token. */
  valid: tf.Tensor2D;
  lengths: number[];
}

/** Check a datum's shape and that advantages sit only on positions the model can predict. */
function checkDatum(d: Datum, i: number, isOutput: (id: number) => boolean, maxLen: number): void {
  const n = d.modelInput.length;
  if (n === 0) throw new Error(`datum ${i}: empty modelInput`);
  if (d.targetTokens.length !== n || d.logprobs.length !== n || d.advantages.length !== n) {
    throw new Error(`datum ${i}: modelInput, targetTokens, logprobs and advantages must have the same length (${n})`);
  }
  if (n > maxLen) throw new Error(`datum ${i}: ${n} positions exceed the model's context of ${maxLen}`);
  for (let t = 0; t < n; t++) {
    if (d.advantages[t] !== 0 && !isOutput(d.targetTokens[t] as number)) {
      throw new Error(`datum ${i}: non-zero advantage at position ${t} whose target is a prompt token`);
    }
  }
}

/**
 * The Tinker-style trainer of the built-in fragment LM, in process. Gradients of successive forwardBackward calls
 * add up until optimStep applies them (Adam) and bumps the policy version the sampler reports.
 */
export class InProcessTrainer implements Trainer {
  readonly name = "in-process";
  private grads = new Map<string, tf.Tensor>();
  private m = new Map<string, tf.Variable>();
  private v = new Map<string, tf.Variable>();
  private step = 0;

  /** Sequences per forward/backward pass (see microBatches). */
  readonly microBatch: number;

  constructor(
    readonly policy: FragmentPolicy,
    opts: { microBatch?: number } = {},
  ) {
    this.microBatch = Math.max(1, opts.microBatch ?? 8);
  }

  version(): number {
    return this.policy.version;
  }

  private batch(datums: Datum[]): Batch {
    const { vocab } = this.policy;
    const T = Math.max(...datums.map((d) => d.modelInput.length));
    const pad = vocab.id(PAD);
    const grid = (f: (d: Datum, t: number) => number, fill: number) =>
      datums.map((d) => Array.from({ length: T }, (_, t) => (t < d.modelInput.length ? f(d, t) : fill)));
    return {
      inputs: tf.tensor2d(
        grid((d, t) => d.modelInput[t] as number, pad),
        [datums.length, T],
        "int32",
      ),
      targets: tf.tensor2d(
        grid((d, t) => (vocab.isOutput(d.targetTokens[t] as number) ? (d.targetTokens[t] as number) : 0), 0),
        [datums.length, T],
        "int32",
      ),
      behaviour: tf.tensor2d(
        grid((d, t) => d.logprobs[t] as number, 0),
        [datums.length, T],
      ),
      advantages: tf.tensor2d(
        grid((d, t) => d.advantages[t] as number, 0),
        [datums.length, T],
      ),
      valid: tf.tensor2d(
        grid((d, t) => (vocab.isOutput(d.targetTokens[t] as number) ? 1 : 0), 0),
        [datums.length, T],
      ),
      lengths: datums.map((d) => d.modelInput.length),
    };
  }

  /** Learner log-probabilities of the targets: [B, T] (0 where the target is not an output token). */
  private targetLogprobs(b: Batch): tf.Tensor2D {
    const lp = this.policy.model.logprobs(b.inputs);
    const picked = tf.sum(tf.mul(lp, tf.oneHot(b.targets, this.policy.vocab.outputSize)), -1);
    return tf.mul(picked, b.valid) as tf.Tensor2D;
  }

  /** Log-probabilities of every target under the current weights, without gradients. */
  async logprobs(datums: Datum[]): Promise<number[][]> {
    const { vocab, config } = this.policy;
    datums.forEach((d, i) => checkDatum(d, i, (id) => vocab.isOutput(id), config.maxLen));
    const out: number[][] = datums.map(() => []);
    for (const chunk of this.microBatches(datums)) {
      const part = await this.logprobsChunk(chunk.map((i) => datums[i]!));
      chunk.forEach((i, k) => (out[i] = part[k]!));
    }
    return out;
  }

  private async logprobsChunk(datums: Datum[]): Promise<number[][]> {
    const b = this.batch(datums);
    try {
      const lp = tf.tidy(() => this.targetLogprobs(b));
      const rows = (await lp.array()) as number[][];
      lp.dispose();
      return rows.map((r, i) => r.slice(0, b.lengths[i]));
    } finally {
      tf.dispose([b.inputs, b.targets, b.behaviour, b.advantages, b.valid]);
    }
  }

  /**
   * Datums sorted by length and cut into micro-batches, so short sequences are not padded to the longest one of the
   * whole batch (scratch and improve prompts differ about twofold). Gradients add up, so the result is the same.
   */
  private microBatches(datums: Datum[]): number[][] {
    const order = datums.map((_, i) => i).sort((a, b) => datums[a]!.modelInput.length - datums[b]!.modelInput.length);
    const out: number[][] = [];
    for (let i = 0; i < order.length; i += this.microBatch) out.push(order.slice(i, i + this.microBatch));
    return out;
  }

  async forwardBackward(datums: Datum[], loss: LossSpec): Promise<ForwardBackwardResult> {
    if (datums.length === 0) throw new Error("forwardBackward needs at least one datum");
    if (loss.name !== "ppo" && loss.name !== "importance_sampling")
      throw new UserError(`unknown loss ${String(loss.name)}`, "use importance_sampling or ppo");
    const clipLow = loss.clipLow ?? 0.2;
    const clipHigh = loss.clipHigh ?? 0.2;
    const { vocab, config } = this.policy;
    datums.forEach((d, i) => checkDatum(d, i, (id) => vocab.isOutput(id), config.maxLen));
    const logprobs: number[][] = datums.map(() => []);
    let total = 0;
    for (const chunk of this.microBatches(datums)) {
      const part = await this.forwardBackwardChunk(
        chunk.map((i) => datums[i]!),
        loss.name,
        clipLow,
        clipHigh,
      );
      total += part.loss;
      chunk.forEach((i, k) => (logprobs[i] = part.logprobs[k]!));
    }
    let trained = 0;
    let clippedN = 0;
    let ratioSum = 0;
    let klSum = 0;
    datums.forEach((d, i) => {
      d.advantages.forEach((a, t) => {
        if (a === 0) return;
        const logRatio = logprobs[i]![t]! - d.logprobs[t]!;
        const r = Math.exp(logRatio);
        trained++;
        ratioSum += r;
        klSum += r - 1 - logRatio;
        if (r < 1 - clipLow || r > 1 + clipHigh) clippedN++;
      });
    });
    return {
      loss: total,
      logprobs,
      metrics: {
        trainedTokens: trained,
        clipFraction: trained ? clippedN / trained : 0,
        meanRatio: trained ? ratioSum / trained : 1,
        kl: trained ? klSum / trained : 0,
      },
    };
  }

  private async forwardBackwardChunk(
    datums: Datum[],
    lossName: LossSpec["name"],
    clipLow: number,
    clipHigh: number,
  ): Promise<{ loss: number; logprobs: number[][] }> {
    const b = this.batch(datums);
    const vars = [...this.policy.model.params.entries()];
    let learnerLp: tf.Tensor2D | undefined;
    try {
      const { value, grads } = tf.variableGrads(
        () => {
          const lp = this.targetLogprobs(b);
          learnerLp = tf.keep(tf.clone(lp)) as tf.Tensor2D;
          const ratio = tf.exp(tf.sub(lp, b.behaviour));
          const mask = tf.cast(tf.notEqual(b.advantages, 0), "float32");
          let perToken: tf.Tensor;
          if (lossName === "importance_sampling") {
            perToken = tf.mul(ratio, b.advantages);
          } else {
            const clipped = tf.clipByValue(ratio, 1 - clipLow, 1 + clipHigh);
            perToken = tf.minimum(tf.mul(ratio, b.advantages), tf.mul(clipped, b.advantages));
          }
          return tf.neg(tf.sum(tf.mul(perToken, mask))) as tf.Scalar;
        },
        vars.map(([, v]) => v),
      );
      for (const [name, v] of vars) {
        const g = grads[v.name];
        if (!g) continue;
        const prev = this.grads.get(name);
        if (prev) {
          this.grads.set(name, tf.keep(tf.add(prev, g)));
          prev.dispose();
          g.dispose();
        } else {
          this.grads.set(name, g);
        }
      }
      const loss = (await value.data())[0] as number;
      value.dispose();
      const rows = (await learnerLp!.array()) as number[][];
      return { loss, logprobs: rows.map((r, i) => r.slice(0, b.lengths[i])) };
    } finally {
      tf.dispose([b.inputs, b.targets, b.behaviour, b.advantages, b.valid]);
      learnerLp?.dispose();
    }
  }

  async optimStep(adam: AdamParams): Promise<OptimStepResult> {
    const lr = adam.learningRate;
    const beta1 = adam.beta1 ?? 0.9;
    const beta2 = adam.beta2 ?? 0.95;
    const eps = adam.eps ?? 1e-8;
    const wd = adam.weightDecay ?? 0;
    if (!(lr >= 0)) throw new UserError(`learning rate must be >= 0, got ${lr}`, "pass a positive learning rate");
    const params = this.policy.model.params;
    const sq = tf.tidy(() => tf.addN([...this.grads.values()].map((g) => tf.sum(tf.square(g))).concat([tf.scalar(0)])));
    const gradNorm = Math.sqrt((await sq.data())[0] as number);
    sq.dispose();
    const scale = adam.maxGradNorm !== undefined && gradNorm > adam.maxGradNorm ? adam.maxGradNorm / (gradNorm + 1e-12) : 1;
    this.step++;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, p] of params) {
      const g0 = this.grads.get(name);
      if (!g0) continue;
      if (!this.m.has(name)) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const g = tf.mul(g0, scale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
        const decayed = wd > 0 ? tf.mul(p, 1 - lr * wd) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
    for (const g of this.grads.values()) g.dispose();
    this.grads.clear();
    this.policy.version++;
    return { version: this.policy.version, gradNorm };
  }

  /** Pending (accumulated, not yet applied) gradients are not saved: save after optimStep. */
  async save(dir: string): Promise<void> {
    const read = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, t]) => [k, new Float32Array(t.dataSync())]));
    const zeros = () => new Map([...this.policy.model.params].map(([k, t]) => [k, new Float32Array(t.size)]));
    const m = this.m.size ? read(this.m) : zeros();
    const v = this.v.size ? read(this.v) : zeros();
    this.policy.save(dir, { step: this.step, m, v });
  }

  async load(dir: string): Promise<void> {
    if (!existsSync(join(dir, "policy.json")))
      throw new UserError(`${dir} has no policy.json`, "pass a checkpoint directory written by the trainer");
    const { policy: loaded, checkpoint } = await FragmentPolicy.load(dir);
    // The init seed does not matter once weights are loaded; everything else must match.
    const shape = (c: typeof loaded.config) => JSON.stringify({ ...c, seed: 0 });
    const same = shape(loaded.config) === shape(this.policy.config);
    if (!same) {
      loaded.dispose();
      throw new UserError(
        `${dir} holds a policy of another shape than this trainer's`,
        "create the trainer from the checkpoint (FragmentPolicy.load) instead",
      );
    }
    this.policy.model.importWeights(checkpoint.weights);
    this.policy.version = checkpoint.manifest.version;
    loaded.dispose();
    for (const g of this.grads.values()) g.dispose();
    this.grads.clear();
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
    this.step = checkpoint.manifest.optimizerStep ?? 0;
    if (checkpoint.optimizer) {
      for (const [name, p] of this.policy.model.params) {
        const mv = checkpoint.optimizer.m.get(name);
        const vv = checkpoint.optimizer.v.get(name);
        if (mv && vv) {
          this.m.set(name, tf.variable(tf.tensor(mv, p.shape), false));
          this.v.set(name, tf.variable(tf.tensor(vv, p.shape), false));
        }
      }
    }
  }
}
