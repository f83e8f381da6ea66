import type { PromptKind } from "../core/rollout.js";

export interface AdvantageConfig {
  /** Divide advantages by the batch's reward standard deviation (GRPO-style). */
  normalize: boolean;
  /** Weight of the newest batch in the running baseline (exponential moving average). */
  baselineMomentum: number;
}

export const DEFAULT_ADVANTAGE: AdvantageConfig = { normalize: true, baselineMomentum: 0.3 };

export interface AdvantageInput {
  taskId: string;
  kind: PromptKind;
  reward: number;
}

function key(taskId: string, kind: PromptKind): string {
  return `${taskId}\u0000${kind}`;
}

/**
 * Advantage = reward − baseline, the baseline being a running mean of the rewards of the same task and prompt
 * kind (scratch and improve prompts start from different places, so they get separate baselines).
 *
 * The baseline used for a batch is the one from before that batch; it is updated afterwards, so a rollout's own
 * reward never shifts its advantage. A group seen for the first time uses its mean within the batch.
 */
export class AdvantageEstimator {
  private readonly baselines = new Map<string, number>();
  constructor(private readonly config: AdvantageConfig = DEFAULT_ADVANTAGE) {}

  compute(batch: readonly AdvantageInput[]): number[] {
    const groupMeans = new Map<string, { sum: number; n: number }>();
    for (const r of batch) {
      const g = groupMeans.get(key(r.taskId, r.kind)) ?? { sum: 0, n: 0 };
      g.sum += r.reward;
      g.n += 1;
      groupMeans.set(key(r.taskId, r.kind), g);
    }
    const raw = batch.map((r) => {
      const k = key(r.taskId, r.kind);
      const g = groupMeans.get(k)!;
      const base = this.baselines.get(k) ?? g.sum / g.n;
      return r.reward - base;
    });
    let out = raw;
    if (this.config.normalize && batch.length > 1) {
      const mean = batch.reduce((a, r) => a + r.reward, 0) / batch.length;
      const variance = batch.reduce((a, r) => a + (r.reward - mean) ** 2, 0) / batch.length;
      const std = Math.sqrt(variance);
      // A batch of equal rewards carries no signal; dividing by a tiny std would blow up rounding noise.
      out = std > 1e-8 ? raw.map((a) => a / std) : raw.map(() => 0);
    }
    const m = this.config.baselineMomentum;
    for (const [k, g] of groupMeans) {
      const prev = this.baselines.get(k);
      const mean = g.sum / g.n;
      this.baselines.set(k, prev === undefined ? mean : (1 - m) * prev + m * mean);
    }
    return out;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.baselines);
  }

  restore(state: Record<string, number>): void {
    this.baselines.clear();
    for (const [k, v] of Object.entries(state)) this.baselines.set(k, v);
  }
}
