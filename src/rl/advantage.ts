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

/** The running mean of every reward, whatever its task and kind (its key cannot collide with a task's). */
const ALL = "\u0000all";

/**
 * Advantage = reward − baseline, the baseline being a running mean of the rewards of the same task and prompt
 * kind (scratch and improve prompts start from different places, so they get separate baselines).
 *
 * The baseline used for a batch is the one from before that batch; it is updated afterwards, so a rollout's own
 * reward never shifts its advantage. A group seen for the first time uses its mean within the batch when the batch
 * holds several of its rollouts; a lone first rollout is compared with its task's other kind, else with the
 * running mean of all rewards, else with the batch's mean. (Rewards share one scale across tasks, see
 * docs/reward.md; comparing a lone rollout with itself would give it no signal, and with a batch of eight over
 * six tasks and two kinds most first rollouts are alone.)
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
    const batchMean = batch.length > 0 ? batch.reduce((a, r) => a + r.reward, 0) / batch.length : 0;
    const baselineOf = (r: AdvantageInput): number => {
      const own = this.baselines.get(key(r.taskId, r.kind));
      if (own !== undefined) return own;
      const g = groupMeans.get(key(r.taskId, r.kind))!;
      if (g.n > 1) return g.sum / g.n;
      return this.baselines.get(key(r.taskId, r.kind === "scratch" ? "improve" : "scratch")) ?? this.baselines.get(ALL) ?? batchMean;
    };
    const raw = batch.map((r) => r.reward - baselineOf(r));
    let out = raw;
    if (this.config.normalize && batch.length > 1) {
      const variance = batch.reduce((a, r) => a + (r.reward - batchMean) ** 2, 0) / batch.length;
      const std = Math.sqrt(variance);
      // A batch of equal rewards carries no signal; dividing by a tiny std would blow up rounding noise.
      out = std > 1e-8 ? raw.map((a) => a / std) : raw.map(() => 0);
    }
    const m = this.config.baselineMomentum;
    const update = (k: string, mean: number) => {
      const prev = this.baselines.get(k);
      this.baselines.set(k, prev === undefined ? mean : (1 - m) * prev + m * mean);
    };
    for (const [k, g] of groupMeans) update(k, g.sum / g.n);
    if (batch.length > 0) update(ALL, batchMean);
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
