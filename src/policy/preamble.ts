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
  return `${head(ctx, sampleSubmissionFile)}${ctx.output === "span" ? SPAN_RULE : ""}`;
}

/**
 * Span tasks predict a substring of the input text. The rule is a word classifier: per word, is it inside the span?
 * Features of a word come from hashed keys (the word, the word in its context label such as a sentiment, and
 * optionally character trigrams); the base classifier is whatever model family the program chose.
 */
const SPAN_RULE = `

CONTEXT_COL = CATEGORICAL[0] if CATEGORICAL else None
span_keys = "word_in_context"


def span_frame(frame):
    out = pd.DataFrame({"text": frame[TEXT[0]].fillna("").astype(str)})
    out["context"] = frame[CONTEXT_COL].fillna("").astype(str) if CONTEXT_COL else ""
    return out


class WordSpan:
    """Learns which words of a text belong to the span; predicts the run from the first to the last chosen word."""

    def __init__(self, base):
        self.base = base

    def _rows(self, frame):
        from scipy import sparse
        from sklearn.feature_extraction.text import HashingVectorizer
        keys, dense, words = [], [], []
        for text, context in zip(frame["text"], frame["context"]):
            tokens = text.split()
            words.append(tokens)
            for j, token in enumerate(tokens):
                bare = token.lower().strip(".,!?;:'\\"()")
                key = f"w_{bare} c_{context}" if span_keys == "word" else f"{context}_{bare} w_{bare} c_{context}"
                if span_keys == "word_and_chars":
                    key += " " + " ".join(f"g_{bare[k:k + 3]}" for k in range(max(0, len(bare) - 2)))
                keys.append(key)
                dense.append([j / max(1, len(tokens) - 1), len(tokens) / 30.0, float(j == 0), float(j == len(tokens) - 1)])
        hashed = HashingVectorizer(n_features=2 ** 12, alternate_sign=False, token_pattern=r"\\S+", norm=None).transform(keys)
        rows = sparse.hstack([hashed, sparse.csr_matrix(np.asarray(dense, dtype=float).reshape(-1, 4))]).tocsr()
        return rows, words

    def fit(self, frame, spans):
        rows, words = self._rows(frame)
        chosen = [set(str(s).lower().split()) for s in spans]
        labels = np.asarray([int(w.lower() in chosen[i]) for i, ws in enumerate(words) for w in ws], dtype=int)
        self.base.fit(rows, labels)
        return self

    def predict(self, frame):
        rows, words = self._rows(frame)
        proba = self.base.predict_proba(rows)[:, -1] if rows.shape[0] else np.zeros(0)
        spans, start = [], 0
        for tokens, context in zip(words, frame["context"]):
            p = proba[start:start + len(tokens)]
            start += len(tokens)
            if not tokens or context == "neutral":
                spans.append(" ".join(tokens))
                continue
            picked = np.flatnonzero(p >= 0.5)
            if picked.size == 0:
                picked = np.array([int(np.argmax(p))])
            spans.append(" ".join(tokens[picked.min():picked.max() + 1]))
        return np.asarray(spans, dtype=object)
`;

function head(ctx: TaskContext, sampleSubmissionFile: string): string {
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
# (model, rows, truth) of every validation fit: the predict stage scores its own predictions on them, so the
# metric a program prints is the one of the predictions it submits.
val_checks = []


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
