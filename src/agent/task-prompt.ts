/**
 * From a task spec and its public dir to the inputs every prompt shares, so policies and the evaluation build
 * prompts the same way.
 */
import type { MetricName, TaskSpec } from "../core/task.js";
import { dataOverview, type DataOverviewOptions } from "./data-overview.js";
import type { ScratchInput } from "./prompts.js";
import type { TestTimeTask } from "./test-time.js";

/** How the agent reads each metric's name. */
export const METRIC_LABELS: Record<MetricName, string> = {
  roc_auc: "ROC AUC",
  mean_column_roc_auc: "mean column-wise ROC AUC",
  accuracy: "accuracy",
  multiclass_log_loss: "multiclass log loss",
  mean_column_rmsle: "mean column-wise RMSLE",
  quadratic_weighted_kappa: "quadratic weighted kappa",
  pearson: "Pearson correlation",
  word_jaccard: "mean word-level Jaccard score",
};

export function testTimeTaskOf(spec: TaskSpec): TestTimeTask {
  return { description: spec.description, metric: METRIC_LABELS[spec.metric], lowerIsBetter: spec.lowerIsBetter };
}

export interface TaskPromptOptions {
  timeLimitSec: number;
  overview?: DataOverviewOptions;
}

/** The scratch-prompt input for a task: its description, metric and an overview of its public dir. */
export async function scratchInputOf(spec: TaskSpec, publicDir: string, options: TaskPromptOptions): Promise<ScratchInput> {
  return {
    taskDescription: spec.description,
    dataOverview: await dataOverview(publicDir, options.overview),
    timeLimitSec: options.timeLimitSec,
    metric: METRIC_LABELS[spec.metric],
    lowerIsBetter: spec.lowerIsBetter,
  };
}
