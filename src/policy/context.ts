import { UserError } from "../errors.js";
import type { MetricName, TargetKind, TaskSpec } from "../core/task.js";

/** What the fragment library can solve, and how each kind's predictions are shaped. */
export type OutputKind = "binary_proba" | "labels" | "class_proba" | "regression" | "span";

const SUPPORTED: Record<string, { kinds: TargetKind[]; output: (kind: TargetKind) => OutputKind }> = {
  roc_auc: { kinds: ["binary"], output: () => "binary_proba" },
  accuracy: { kinds: ["binary", "multiclass"], output: () => "labels" },
  multiclass_log_loss: { kinds: ["binary", "multiclass"], output: () => "class_proba" },
  mean_column_rmsle: { kinds: ["regression", "multi_regression"], output: () => "regression" },
  word_jaccard: { kinds: ["span"], output: () => "span" },
};

/** Everything a fragment needs to render for one task, derived from its spec. */
export interface TaskContext {
  taskId: string;
  metric: MetricName;
  lowerIsBetter: boolean;
  targetKind: TargetKind;
  output: OutputKind;
  trainFile: string;
  testFile: string;
  idColumn: string;
  submissionColumns: string[];
  targets: string[];
  numeric: string[];
  categorical: string[];
  text: string[];
  /** Class labels as strings, when the spec lists them. */
  classes: string[] | undefined;
  trainRows: number | undefined;
  modality: "tabular" | "text";
  classifier: boolean;
}

/**
 * Derive the render context, or say plainly why the built-in policy cannot write programs for this task.
 */
export function taskContext(task: TaskSpec): TaskContext {
  const where = `task ${task.id}`;
  const schema = task.schema;
  if (!schema) {
    throw new UserError(
      `the built-in fragment policy cannot solve ${where}: its spec has no data schema (column roles, target kind)`,
      "add a `schema` to the task spec, or use a language-model policy for this task",
    );
  }
  const rule = SUPPORTED[task.metric];
  if (!rule || !rule.kinds.includes(schema.targetKind)) {
    throw new UserError(
      `the built-in fragment policy has no fragments for ${where}: metric ${task.metric} with target kind ${schema.targetKind}`,
      "supported: roc_auc/binary, accuracy or multiclass_log_loss/classification, mean_column_rmsle/regression, word_jaccard/span; use a language-model policy otherwise",
    );
  }
  const cols = (role: string) => schema.columns.filter((c) => c.role === role).map((c) => c.name);
  const targets = cols("target");
  const numeric = cols("numeric");
  const categorical = cols("categorical");
  const text = cols("text");
  if (targets.length === 0)
    throw new UserError(`${where}: its schema marks no column as target`, "give the target column(s) role `target`");
  if (numeric.length + categorical.length + text.length === 0) {
    throw new UserError(
      `${where}: its schema has no feature columns (numeric, categorical or text)`,
      "mark the input columns with their roles",
    );
  }
  if (schema.targetKind === "span" && text.length === 0) {
    throw new UserError(`${where}: a span task needs a text column to extract spans from`, "mark the input text column with role `text`");
  }
  const classifier = schema.targetKind === "binary" || schema.targetKind === "multiclass";
  return {
    taskId: task.id,
    metric: task.metric,
    lowerIsBetter: task.lowerIsBetter,
    targetKind: schema.targetKind,
    output: rule.output(schema.targetKind),
    trainFile: schema.trainFile,
    testFile: schema.testFile,
    idColumn: task.idColumn,
    submissionColumns: task.submissionColumns,
    targets,
    numeric,
    categorical,
    text,
    classes: schema.classes,
    trainRows: schema.trainRows,
    // Short string columns beside numeric ones (e.g. a code like TPS May's f_27) do not make a task a text task.
    modality: text.length > 0 && numeric.length === 0 ? "text" : "tabular",
    classifier,
  };
}
