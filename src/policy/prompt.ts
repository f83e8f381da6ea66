import type { MetricName, TaskSpec } from "../core/task.js";
import { taskContext } from "./context.js";
import type { SampleRequest } from "./types.js";
import { BOS, IMPROVE, PREVIOUS, SCRATCH, SEP, type ScoreBucket, type Vocabulary } from "./vocab.js";

/** The descriptor tokens of a task (its modality, target, metric, column roles, size). */
export function descriptorTokens(task: TaskSpec): string[] {
  const ctx = taskContext(task);
  const out = [`modality:${ctx.modality}`, `target:${ctx.targetKind}`, `metric:${ctx.metric}`];
  if (ctx.numeric.length > 0) out.push("has:numeric");
  if (ctx.categorical.length > 0) out.push("has:categorical");
  if (ctx.text.length > 0) out.push("has:text");
  out.push(ctx.targets.length > 1 ? "targets:2+" : "targets:1");
  if (ctx.classifier) {
    const k = ctx.classes?.length ?? 0;
    if (k > 0) out.push(k <= 2 ? "classes:2" : k <= 10 ? "classes:3-10" : "classes:11+");
  }
  const rows = ctx.trainRows;
  out.push(
    rows === undefined
      ? "size:unknown"
      : rows < 1000
        ? "size:<1k"
        : rows < 10_000
          ? "size:1k-10k"
          : rows < 100_000
            ? "size:10k-100k"
            : "size:100k+",
  );
  return out;
}

/**
 * Coarse quality of a validation score, so improve prompts can say "good" or "poor" across metrics: q4 is near the
 * top of what the metric allows. Bounded metrics use fixed cut points; lower-is-better ones are mirrored.
 */
export function scoreBucket(metric: MetricName, score: number | null | undefined): ScoreBucket {
  if (score === undefined || score === null || !Number.isFinite(score)) return "none";
  const higher: Partial<Record<MetricName, number[]>> = {
    roc_auc: [0.6, 0.75, 0.85, 0.95],
    mean_column_roc_auc: [0.6, 0.75, 0.85, 0.95],
    accuracy: [0.5, 0.7, 0.85, 0.95],
    word_jaccard: [0.4, 0.55, 0.65, 0.75],
    pearson: [0.3, 0.5, 0.7, 0.85],
    quadratic_weighted_kappa: [0.3, 0.5, 0.7, 0.85],
  };
  const lower: Partial<Record<MetricName, number[]>> = {
    multiclass_log_loss: [1.0, 0.6, 0.3, 0.1],
    mean_column_rmsle: [0.3, 0.15, 0.08, 0.05],
  };
  const up = higher[metric];
  const cuts = up ?? lower[metric] ?? [];
  let q = 0;
  for (const c of cuts) if (up ? score >= c : score <= c) q++;
  return `q${q}` as ScoreBucket;
}

/** A prompt as token ids: BOS, descriptors, then scratch or improve (feedback + previous program), then SEP. */
export function encodePrompt(vocab: Vocabulary, req: SampleRequest, maxPromptTokens: number): number[] {
  const names = [BOS, ...descriptorTokens(req.task)];
  if (req.kind === "scratch") {
    names.push(SCRATCH);
    return [...names, SEP].map((t) => vocab.id(t));
  }
  const p = req.previous;
  names.push(
    IMPROVE,
    `reached:${p.stageReached}`,
    `failure:${p.failure}`,
    `score:${scoreBucket(req.task.metric, p.validationScore)}`,
    PREVIOUS,
  );
  const head = names.map((t) => vocab.id(t));
  // Only the fragments of the previous program matter; its end token and anything foreign are dropped.
  const previous = p.tokens.filter((id) => vocab.isOutput(id) && id !== 0);
  const room = Math.max(0, maxPromptTokens - head.length - 1);
  return [...head, ...previous.slice(0, room), vocab.id(SEP)];
}
