import type { TaskContext } from "./context.js";

/** A Python literal for a string or a list of strings (JSON string syntax is valid Python). */
export function py(value: string | readonly string[] | undefined | null): string {
  if (value === undefined || value === null) return "None";
  if (typeof value === "string") return JSON.stringify(value);
  return `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
}

/**
 * The part of every program that is not sampled: the task's constants and its output contract (how predictions
 * are shaped and scored for this metric). It only defines names; nothing in it runs library code, so a program
 * whose fragments are missing or misplaced still fails where those fragments should have been.
 */
export function renderPreamble(ctx: TaskContext, sampleSubmissionFile: string): string {
  return `# Program for task ${ctx.taskId}: metric ${ctx.metric} (${ctx.lowerIsBetter ? "lower" : "higher"} is better).
# Reads /home/data, writes /home/submission/submission.csv, prints the validation metric.
DATA_DIR = "/home/data"
SUBMISSION_PATH = "/home/submission/submission.csv"
TRAIN_FILE = ${py(ctx.trainFile)}
TEST_FILE = ${py(ctx.testFile)}
SAMPLE_SUBMISSION_FILE = ${py(sampleSubmissionFile)}
ID_COL = ${py(ctx.idColumn)}
TARGETS = ${py(ctx.targets)}
NUMERIC = ${py(ctx.numeric)}
CATEGORICAL = ${py(ctx.categorical)}
TEXT = ${py(ctx.text)}
CLASSES = ${py(ctx.classes)}
SUBMISSION_COLUMNS = ${py(ctx.submissionColumns)}
OUTPUT = ${py(ctx.output)}
METRIC = ${py(ctx.metric)}
SEED = 0
CLASSIFICATION = OUTPUT in ("binary_proba", "labels", "class_proba")


def encode_target(frame):
    """Model targets and class labels: class indices, log1p of regression targets, or span strings."""
    if CLASSIFICATION:
        labels = frame[TARGETS[0]].astype(str)
        names = list(CLASSES) if CLASSES else sorted(labels.unique())
        index = {name: i for i, name in enumerate(names)}
        return labels.map(index).to_numpy(dtype=int), np.array(names, dtype=object)
    if OUTPUT == "regression":
        return np.log1p(np.clip(frame[TARGETS].to_numpy(dtype=float), 0, None)), None
    return frame[TARGETS[0]].fillna("").astype(str).to_numpy(dtype=object), None


def take(data, rows):
    return data.iloc[rows] if hasattr(data, "iloc") else data[rows]


def stratify_labels(labels):
    if CLASSIFICATION and np.bincount(labels).min() >= 2:
        return labels
    return None


def class_scores(model, data):
    """Probabilities over every class in class-index order; a class missing from the fitted data gets 0."""
    proba = np.asarray(model.predict_proba(data), dtype=float)
    full = np.zeros((proba.shape[0], len(classes)))
    full[:, np.asarray(model.classes_, dtype=int)] = proba
    return full


def predict_out(model, data):
    """Predictions in the shape the metric and the submission need."""
    if OUTPUT == "binary_proba":
        return class_scores(model, data)[:, 1]
    if OUTPUT == "class_proba":
        return class_scores(model, data)
    if OUTPUT == "labels":
        return classes[np.asarray(model.predict(data), dtype=int)]
    if OUTPUT == "regression":
        pred = np.asarray(model.predict(data), dtype=float).reshape(data.shape[0], -1)
        return np.clip(np.expm1(pred), 0, None)
    return np.asarray(model.predict(data), dtype=object)


def predict_hard(model, data):
    """Hard decisions instead of scores (one-hot rows for probability outputs)."""
    if OUTPUT in ("binary_proba", "class_proba"):
        onehot = np.eye(len(classes))[np.asarray(model.predict(data), dtype=int)]
        return onehot[:, 1] if OUTPUT == "binary_proba" else onehot
    if OUTPUT == "regression":
        return np.round(predict_out(model, data), 1)
    return predict_out(model, data)


def word_jaccard(a, b):
    x, y = set(str(a).lower().split()), set(str(b).lower().split())
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


def score(truth, out):
    """The task metric on a validation split (truth as encoded by encode_target)."""
    from sklearn import metrics
    if METRIC == "roc_auc":
        return metrics.roc_auc_score(truth, out)
    if METRIC == "accuracy":
        return metrics.accuracy_score(classes[truth], out)
    if METRIC == "multiclass_log_loss":
        return metrics.log_loss(truth, np.clip(out, 1e-15, 1), labels=list(range(len(classes))))
    if METRIC == "mean_column_rmsle":
        real = np.expm1(np.asarray(truth, dtype=float).reshape(len(out), -1))
        return float(np.mean(np.sqrt(np.mean((np.log1p(out) - np.log1p(real)) ** 2, axis=0))))
    return float(np.mean([word_jaccard(a, b) for a, b in zip(truth, out)]))
`;
}
