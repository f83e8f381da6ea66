import type { PolicyPort, PromptContext, TrainItem, UpdateResult } from "../core/policy-port.js";
import type { SampledAction } from "../core/rollout.js";
import { Rng } from "../util/random.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

const BanditPayload = z.object({ arm: z.number().int().nonnegative(), logprob: z.number() });

/**
 * A softmax policy over a fixed set of actions (arms), trained with the same clipped-ratio policy gradient as the
 * real policies. It makes the loop's scheduling effects measurable in isolation: with simulated durations it
 * shows, in seconds of CPU, whether updates drift toward fast actions.
 */
export class BanditPolicy implements PolicyPort {
  private logits: number[];
  private v = 0;
  private readonly rng: Rng;

  constructor(
    readonly arms: readonly string[],
    private readonly opts: { lr: number; clip: number; seed: number } = { lr: 0.05, clip: 0.2, seed: 0 },
  ) {
    this.logits = arms.map(() => 0);
    this.rng = new Rng(opts.seed);
  }

  version(): number {
    return this.v;
  }

  probs(): number[] {
    const m = Math.max(...this.logits);
    const e = this.logits.map((l) => Math.exp(l - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  }

  async sample(_ctx: PromptContext): Promise<SampledAction> {
    const p = this.probs();
    let u = this.rng.next();
    let arm = p.length - 1;
    for (let i = 0; i < p.length; i++) {
      u -= p[i]!;
      if (u < 0) {
        arm = i;
        break;
      }
    }
    return { code: this.arms[arm]!, policyVersion: this.v, payload: { arm, logprob: Math.log(p[arm]!) } };
  }

  async update(batch: readonly TrainItem[]): Promise<UpdateResult> {
    const p = this.probs();
    const grad = this.logits.map(() => 0);
    let loss = 0;
    let kl = 0;
    for (const item of batch) {
      const { arm, logprob: q } = BanditPayload.parse(item.action.payload);
      const logp = Math.log(p[arm]!);
      const ratio = Math.exp(logp - q);
      const a = item.advantage;
      const clipped = Math.min(Math.max(ratio, 1 - this.opts.clip), 1 + this.opts.clip);
      loss -= Math.min(ratio * a, clipped * a);
      kl += q - logp;
      // The clipped branch has no gradient: PPO stops pushing once the ratio left the trust region.
      const active = a >= 0 ? ratio <= 1 + this.opts.clip : ratio >= 1 - this.opts.clip;
      if (!active) continue;
      for (let k = 0; k < grad.length; k++) grad[k]! += -a * ratio * ((k === arm ? 1 : 0) - p[k]!);
    }
    this.logits = this.logits.map((l, k) => l - (this.opts.lr * grad[k]!) / batch.length);
    this.v += 1;
    return { version: this.v, loss: loss / batch.length, kl: kl / batch.length };
  }

  async save(dir: string): Promise<void> {
    writeFileSync(join(dir, "bandit.json"), JSON.stringify({ version: this.v, logits: this.logits, arms: this.arms }));
  }

  restore(state: { version: number; logits: number[] }): void {
    this.v = state.version;
    this.logits = [...state.logits];
  }
}
