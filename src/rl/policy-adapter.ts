import { z } from "zod";
import type { Sampler, SampleRequest } from "../policy/types.js";
import { previousAttemptOf } from "../policy/feedback.js";
import type { AdamParams, LossSpec, Trainer } from "../trainer/types.js";
import { datumFromCompletion } from "../trainer/datum.js";
import { tokenAdvantages } from "./exploration.js";
import type { TaskSpec } from "../core/task.js";
import type { PolicyPort, PromptContext, TrainItem, UpdateResult } from "../core/policy-port.js";
import type { SampledAction } from "../core/rollout.js";

/** What the loop stores per action for a token-level policy: enough to rebuild the training datum after a crash. */
export const TokenPayload = z.object({
  promptTokens: z.array(z.number().int()),
  tokens: z.array(z.number().int()),
  logprobs: z.array(z.number()),
});
export type TokenPayload = z.infer<typeof TokenPayload>;

/**
 * A PolicyPort over any Sampler + Trainer pair (the built-in fragment LM in-process, or an LM behind HTTP). The
 * loop's per-sequence advantage (already duration-weighted) is broadcast to every completion token.
 */
export class SamplerTrainerPolicy implements PolicyPort {
  private draws = 0;

  constructor(
    private readonly sampler: Sampler,
    private readonly trainer: Trainer,
    private readonly tasks: ReadonlyMap<string, TaskSpec>,
    private readonly opts: { loss: LossSpec; adam: AdamParams; seed: number; epochs?: number; explorationBonus?: number },
  ) {}

  version(): number {
    return this.trainer.version();
  }

  async sample(ctx: PromptContext): Promise<SampledAction> {
    const task = this.tasks.get(ctx.taskId);
    if (!task) throw new Error(`unknown task ${ctx.taskId}`);
    let req: SampleRequest;
    if (ctx.kind === "improve" && ctx.parent) {
      const prev = TokenPayload.parse(ctx.parent.action.payload);
      const fb = previousAttemptOf(ctx.parent.feedback);
      req = {
        task,
        kind: "improve",
        previous: {
          tokens: prev.tokens,
          text: ctx.parent.action.code,
          stageReached: fb.stage,
          failure: fb.failure,
          validationScore: ctx.parent.feedback.validationMetric,
          output: ctx.parent.feedback.output,
        },
      };
    } else {
      req = { task, kind: "scratch" };
    }
    const [c] = await this.sampler.sample([req], { seed: this.opts.seed * 1_000_003 + this.draws++ });
    if (!c) throw new Error("sampler returned no completion");
    const payload: TokenPayload = { promptTokens: c.promptTokens, tokens: c.tokens, logprobs: c.logprobs };
    return { code: c.text, policyVersion: c.version, payload };
  }

  async update(batch: readonly TrainItem[]): Promise<UpdateResult> {
    const payloads = batch.map((item) => TokenPayload.parse(item.action.payload));
    const perToken = tokenAdvantages(
      payloads.map((p, i) => ({ logprobs: p.logprobs, advantage: batch[i]!.advantage, weight: batch[i]!.weight ?? 1 })),
      this.opts.explorationBonus ?? 0,
    );
    const datums = payloads.map((p, i) => datumFromCompletion(p, perToken[i]!));
    // PPO reuses a batch for a few steps; the clipped ratio against the behaviour logprobs keeps them honest.
    const epochs = Math.max(1, this.opts.epochs ?? 1);
    let first: Awaited<ReturnType<Trainer["forwardBackward"]>> | undefined;
    let last = first;
    let step: Awaited<ReturnType<Trainer["optimStep"]>> | undefined;
    for (let e = 0; e < epochs; e++) {
      last = await this.trainer.forwardBackward(datums, this.opts.loss);
      first ??= last;
      step = await this.trainer.optimStep(this.opts.adam);
    }
    return {
      version: step!.version,
      loss: first!.loss,
      kl: first!.metrics.kl,
      extra: {
        clipFraction: last!.metrics.clipFraction,
        meanRatio: last!.metrics.meanRatio,
        gradNorm: step!.gradNorm,
        trainedTokens: first!.metrics.trainedTokens,
        epochs,
      },
    };
  }

  async save(dir: string): Promise<void> {
    await this.trainer.save(dir);
  }
}
