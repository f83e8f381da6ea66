import type { TaskContext } from "./context.js";

/** The stages of a program, in the order a well-formed program has them. */
export const STAGES = ["imports", "load", "prep", "features", "model", "valid", "fit", "predict", "write"] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Stages a well-formed program may leave out. Validation is not among them: the printed metric is what every
 * method selects by, so a well-formed program always prints one.
 */
export const OPTIONAL_STAGES: ReadonlySet<Stage> = new Set<Stage>(["prep"]);

/**
 * Once a program has validated, fitted or predicted, it may not go back to these stages: a later feature set or
 * model would make the printed metric describe another model than the submitted one.
 */
export const SETTLED_AFTER: ReadonlySet<Stage> = new Set<Stage>(["valid", "fit", "predict"]);
export const UNSETTLING: ReadonlySet<Stage> = new Set<Stage>(["imports", "load", "prep", "features", "model"]);

/** The stage after which a program ends: nothing runs after its submission is written. */
export const LAST_STAGE: Stage = "write";

/** Stages that may have several fragments in a row. */
export const REPEATABLE_STAGES: ReadonlySet<Stage> = new Set<Stage>(["prep"]);

/** Rough cost of a fragment, for documentation and the simulated executor: 1 = fast, 3 = slow. */
export type Cost = 1 | 2 | 3;

export interface Fragment {
  /** Token name, `<stage>.<variant>`. */
  name: string;
  stage: Stage;
  cost: Cost;
  /** One line for humans. */
  about: string;
  /** In a well-formed program this fragment directly follows a fragment of this stage. */
  onlyAfter?: Stage;
  /** Python statements at top level. Always syntactically valid; may fail at run time on a task it does not fit. */
  render(ctx: TaskContext): string;
}

const frag = (name: string, cost: Cost, about: string, render: (ctx: TaskContext) => string, onlyAfter?: Stage): Fragment => {
  const stage = name.split(".")[0] as Stage;
  if (!(STAGES as readonly string[]).includes(stage)) throw new Error(`fragment ${name}: unknown stage`);
  return onlyAfter ? { name, stage, cost, about, render, onlyAfter } : { name, stage, cost, about, render };
};

// ---------------------------------------------------------------- imports, loading, preprocessing

const IMPORTS: Fragment[] = [
  frag(
    "imports.full",
    1,
    "numpy, pandas, sklearn splitters; warnings off",
    () =>
      `import os
import time
import warnings
import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
warnings.filterwarnings("ignore")`,
  ),
  frag(
    "imports.basic",
    1,
    "numpy, pandas and a hold-out splitter only",
    () =>
      `import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split`,
  ),
];

const LOAD: Fragment[] = [
  frag(
    "load.full",
    1,
    "read the whole train and test tables",
    () =>
      `train = pd.read_csv(f"{DATA_DIR}/{TRAIN_FILE}")
test = pd.read_csv(f"{DATA_DIR}/{TEST_FILE}")
print(f"loaded train {train.shape} test {test.shape}")`,
  ),
  frag(
    "load.half",
    1,
    "read a random half of train (faster, less data)",
    () =>
      `train = pd.read_csv(f"{DATA_DIR}/{TRAIN_FILE}").sample(frac=0.5, random_state=SEED).reset_index(drop=True)
test = pd.read_csv(f"{DATA_DIR}/{TEST_FILE}")
print(f"loaded half of train {train.shape} test {test.shape}")`,
  ),
];

const PREP: Fragment[] = [
  frag(
    "prep.fillna",
    1,
    "fill missing values (numeric: train median, text/categorical: empty)",
    () =>
      `for frame in (train, test):
    for col in NUMERIC:
        frame[col] = frame[col].fillna(train[col].median())
    for col in CATEGORICAL + TEXT:
        frame[col] = frame[col].fillna("")`,
  ),
  frag(
    "prep.dedup",
    1,
    "drop duplicate training rows",
    () => `train = train.drop_duplicates(subset=NUMERIC + CATEGORICAL + TEXT).reset_index(drop=True)`,
  ),
  frag(
    "prep.clip",
    1,
    "clip numeric columns to the train 0.5-99.5 percentiles",
    () =>
      `for col in NUMERIC:
    low, high = train[col].quantile(0.005), train[col].quantile(0.995)
    train[col] = train[col].clip(low, high)
    test[col] = test[col].clip(low, high)`,
  ),
  frag(
    "prep.sqrt",
    1,
    "square-root transform of non-negative numeric columns (tames counts and histograms)",
    () =>
      `for col in NUMERIC:
    if (train[col].dropna() >= 0).all() and (test[col].dropna() >= 0).all():
        train[col] = np.sqrt(train[col].astype(float))
        test[col] = np.sqrt(test[col].astype(float))`,
  ),
  frag(
    "prep.lower",
    1,
    "lower-case the text columns",
    () =>
      `for frame in (train, test):
    for col in TEXT:
        frame[col] = frame[col].fillna("").astype(str).str.lower()`,
  ),
];

// ---------------------------------------------------------------- features

const TABULAR_FRAME = `def tabular_frame(frame):
    out = frame[NUMERIC].astype(float).copy()
    for col in CATEGORICAL:
        levels = sorted(set(train[col].astype(str)) | set(test[col].astype(str)))
        out[col] = pd.Categorical(frame[col].astype(str), categories=levels).codes
    return out`;

// Without text columns, a row becomes tokens "column_qK" (numeric decile K of train) and "column_value": a crude
// bag-of-bins that runs on any table but is rarely the best representation.
const JOINED_TEXT = `def joined_text(frame):
    if TEXT:
        return frame[TEXT].fillna("").astype(str).agg(" ".join, axis=1)
    parts = []
    for col in NUMERIC:
        edges = np.unique(np.nanquantile(train[col].astype(float), np.linspace(0, 1, 11)[1:-1]))
        bins = np.searchsorted(edges, frame[col].astype(float).to_numpy())
        parts.append(col + "_q" + pd.Series(bins, index=frame.index).astype(str))
    for col in CATEGORICAL:
        parts.append(col + "_" + frame[col].astype(str))
    if not parts:
        return pd.Series([""] * len(frame), index=frame.index)
    return pd.concat(parts, axis=1).agg(" ".join, axis=1)`;

/** On span tasks, text features are per-word rows: the text frame plus which word keys the span rule hashes. */
const spanFeatures = (keys: string) => `y, classes = encode_target(train)
X, X_test = span_frame(train), span_frame(test)
span_keys = ${JSON.stringify(keys)}
print(f"span rows {X.shape}")`;

const FEATURES: Fragment[] = [
  frag(
    "features.tabular",
    1,
    "numeric columns plus categorical codes",
    () =>
      `y, classes = encode_target(train)
${TABULAR_FRAME}
X = tabular_frame(train).to_numpy(dtype=float)
X_test = tabular_frame(test).to_numpy(dtype=float)
print(f"features {X.shape}")`,
  ),
  frag(
    "features.tabular_scaled",
    1,
    "numeric columns plus categorical codes, standardised",
    () =>
      `from sklearn.preprocessing import StandardScaler
y, classes = encode_target(train)
${TABULAR_FRAME}
scaler = StandardScaler()
X = scaler.fit_transform(tabular_frame(train).to_numpy(dtype=float))
X_test = scaler.transform(tabular_frame(test).to_numpy(dtype=float))
print(f"features {X.shape}")`,
  ),
  frag(
    "features.tabular_rich",
    2,
    "numeric + one-hot/frequency-encoded categoricals + row statistics",
    () =>
      `y, classes = encode_target(train)


def rich_frame(frame):
    out = frame[NUMERIC].astype(float).copy()
    for col in CATEGORICAL:
        values = frame[col].astype(str)
        levels = sorted(set(train[col].astype(str)))
        if len(levels) <= 20:
            for level in levels:
                out[f"{col}={level}"] = (values == level).astype(float)
        counts = train[col].astype(str).value_counts()
        out[f"{col}_freq"] = values.map(counts).fillna(0).astype(float)
        out[f"{col}_code"] = pd.Categorical(values, categories=levels).codes
    if NUMERIC:
        block = frame[NUMERIC].astype(float)
        out["row_mean"] = block.mean(axis=1)
        out["row_std"] = block.std(axis=1)
        out["row_max"] = block.max(axis=1)
        out["row_min"] = block.min(axis=1)
    return out


X = rich_frame(train).to_numpy(dtype=float)
X_test = rich_frame(test).to_numpy(dtype=float)
print(f"features {X.shape}")`,
  ),
  frag(
    "features.tabular_text_chars",
    2,
    "numeric + categorical codes + per-character counts (and per-position codes of short strings) of each text column",
    () =>
      `from sklearn.feature_extraction.text import CountVectorizer
y, classes = encode_target(train)
${TABULAR_FRAME}
blocks, test_blocks = [tabular_frame(train).to_numpy(dtype=float)], [tabular_frame(test).to_numpy(dtype=float)]
for col in TEXT:
    chars = CountVectorizer(analyzer="char", lowercase=False, max_features=64)
    blocks.append(chars.fit_transform(train[col].fillna("").astype(str)).toarray().astype(float))
    test_blocks.append(chars.transform(test[col].fillna("").astype(str)).toarray().astype(float))
    blocks.append(train[col].fillna("").astype(str).map(lambda s: len(set(s))).to_numpy(dtype=float).reshape(-1, 1))
    test_blocks.append(test[col].fillna("").astype(str).map(lambda s: len(set(s))).to_numpy(dtype=float).reshape(-1, 1))
    if train[col].fillna("").astype(str).str.len().max() <= 20:
        # Short codes: the character at each position, as its code point.
        for k in range(int(train[col].fillna("").astype(str).str.len().max())):
            blocks.append(train[col].fillna("").astype(str).str[k].map(lambda c: ord(c) if c else -1).to_numpy(dtype=float).reshape(-1, 1))
            test_blocks.append(test[col].fillna("").astype(str).str[k].map(lambda c: ord(c) if c else -1).to_numpy(dtype=float).reshape(-1, 1))
X = np.hstack(blocks)
X_test = np.hstack(test_blocks)
print(f"features {X.shape}")`,
  ),
  frag("features.tfidf_word", 2, "TF-IDF of word uni- and bigrams of the text columns (binned columns when there is no text)", (ctx) =>
    ctx.output === "span"
      ? spanFeatures("word")
      : `from sklearn.feature_extraction.text import TfidfVectorizer
y, classes = encode_target(train)
${JOINED_TEXT}
vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=50000, sublinear_tf=True)
X = vectorizer.fit_transform(joined_text(train))
X_test = vectorizer.transform(joined_text(test))
print(f"features {X.shape}")`,
  ),
  frag("features.tfidf_char", 3, "TF-IDF of character 2-5-grams of the text columns (slower, richer)", (ctx) =>
    ctx.output === "span"
      ? spanFeatures("word_and_chars")
      : `from sklearn.feature_extraction.text import TfidfVectorizer
y, classes = encode_target(train)
${JOINED_TEXT}
vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, max_features=100000, sublinear_tf=True)
X = vectorizer.fit_transform(joined_text(train))
X_test = vectorizer.transform(joined_text(test))
print(f"features {X.shape}")`,
  ),
  frag("features.word_counts", 1, "binary word counts of the text columns", (ctx) =>
    ctx.output === "span"
      ? spanFeatures("word")
      : `from sklearn.feature_extraction.text import CountVectorizer
y, classes = encode_target(train)
${JOINED_TEXT}
vectorizer = CountVectorizer(binary=True, min_df=2, max_features=20000)
X = vectorizer.fit_transform(joined_text(train)).astype(float)
X_test = vectorizer.transform(joined_text(test)).astype(float)
print(f"features {X.shape}")`,
  ),
  frag(
    "features.span_words",
    1,
    "per-word rows for span extraction: word identity in its context",
    () =>
      `y, classes = encode_target(train)
X, X_test = span_frame(train), span_frame(test)
span_keys = "word_in_context"
print(f"span rows {X.shape}")`,
  ),
];

// ---------------------------------------------------------------- models

interface Family {
  name: string;
  cost: Cost;
  about: string;
  imports: string;
  classifier: (ctx: TaskContext) => string;
  regressor: (ctx: TaskContext) => string;
}

const FAMILIES: Family[] = [
  {
    name: "model.logreg",
    cost: 1,
    about: "logistic regression C=1 / ridge alpha=1",
    imports: "from sklearn.linear_model import LogisticRegression, Ridge",
    classifier: () => "LogisticRegression(C=1.0, max_iter=300)",
    regressor: () => "Ridge(alpha=1.0)",
  },
  {
    name: "model.logreg_c10",
    cost: 1,
    about: "weakly regularised logistic regression C=10 / ridge alpha=0.1",
    imports: "from sklearn.linear_model import LogisticRegression, Ridge",
    classifier: () => "LogisticRegression(C=10.0, max_iter=1000)",
    regressor: () => "Ridge(alpha=0.1)",
  },
  {
    name: "model.sgd",
    cost: 1,
    about: "linear model by SGD, few epochs (fast, rough)",
    imports: "from sklearn.linear_model import SGDClassifier, SGDRegressor",
    classifier: () => `SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=5, tol=None, random_state=SEED)`,
    regressor: () => "SGDRegressor(alpha=1e-4, max_iter=5, tol=None, random_state=SEED)",
  },
  {
    name: "model.naive_bayes",
    cost: 1,
    about: "naive Bayes (multinomial on text, Gaussian otherwise); classification only",
    imports: "from sklearn.naive_bayes import GaussianNB, MultinomialNB",
    classifier: (ctx) => (ctx.modality === "text" ? "MultinomialNB(alpha=0.1)" : "GaussianNB()"),
    regressor: () => "GaussianNB()",
  },
  {
    name: "model.tree_d4",
    cost: 1,
    about: "one decision tree of depth 4 (fast, weak)",
    imports: "from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor",
    classifier: () => "DecisionTreeClassifier(max_depth=4, random_state=SEED)",
    regressor: () => "DecisionTreeRegressor(max_depth=4, random_state=SEED)",
  },
  {
    name: "model.knn",
    cost: 1,
    about: "25 nearest neighbours",
    imports: "from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor",
    classifier: () => "KNeighborsClassifier(n_neighbors=25)",
    regressor: () => "KNeighborsRegressor(n_neighbors=25)",
  },
  {
    name: "model.forest_100",
    cost: 2,
    about: "random forest, 100 trees",
    imports: "from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor",
    classifier: () => "RandomForestClassifier(n_estimators=100, min_samples_leaf=2, n_jobs=1, random_state=SEED)",
    regressor: () => "RandomForestRegressor(n_estimators=100, min_samples_leaf=2, n_jobs=1, random_state=SEED)",
  },
  {
    name: "model.forest_500",
    cost: 3,
    about: "random forest, 500 trees (slow)",
    imports: "from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor",
    classifier: () => "RandomForestClassifier(n_estimators=500, n_jobs=1, random_state=SEED)",
    regressor: () => "RandomForestRegressor(n_estimators=500, n_jobs=1, random_state=SEED)",
  },
  {
    name: "model.extra_trees_500",
    cost: 3,
    about: "extremely randomised trees, 500 trees (slow)",
    imports: "from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor",
    classifier: () => "ExtraTreesClassifier(n_estimators=500, n_jobs=1, random_state=SEED)",
    regressor: () => "ExtraTreesRegressor(n_estimators=500, n_jobs=1, random_state=SEED)",
  },
  {
    name: "model.lgbm_100",
    cost: 2,
    about: "LightGBM, 100 rounds at learning rate 0.1",
    imports: "from lightgbm import LGBMClassifier, LGBMRegressor",
    classifier: () => "LGBMClassifier(n_estimators=100, learning_rate=0.1, num_leaves=31, n_jobs=1, verbose=-1, random_state=SEED)",
    regressor: () => "LGBMRegressor(n_estimators=100, learning_rate=0.1, num_leaves=31, n_jobs=1, verbose=-1, random_state=SEED)",
  },
  {
    name: "model.lgbm_1500",
    cost: 3,
    about: "LightGBM, 1500 rounds at learning rate 0.02 with bagging (slow, strong)",
    imports: "from lightgbm import LGBMClassifier, LGBMRegressor",
    classifier: () =>
      "LGBMClassifier(n_estimators=1500, learning_rate=0.02, num_leaves=63, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=1, verbose=-1, random_state=SEED)",
    regressor: () =>
      "LGBMRegressor(n_estimators=1500, learning_rate=0.02, num_leaves=63, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=1, verbose=-1, random_state=SEED)",
  },
  {
    name: "model.xgb_800",
    cost: 3,
    about: "XGBoost, 800 rounds depth 6 at learning rate 0.03 (slow, strong)",
    imports: "from xgboost import XGBClassifier, XGBRegressor",
    classifier: () =>
      `XGBClassifier(n_estimators=800, max_depth=6, learning_rate=0.03, subsample=0.8, colsample_bytree=0.8, tree_method="hist", n_jobs=1, random_state=SEED)`,
    regressor: () =>
      `XGBRegressor(n_estimators=800, max_depth=6, learning_rate=0.03, subsample=0.8, colsample_bytree=0.8, tree_method="hist", n_jobs=1, random_state=SEED)`,
  },
  {
    name: "model.hist_gb",
    cost: 2,
    about: "histogram gradient boosting, 300 iterations (dense features only)",
    imports: "from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor",
    classifier: () => "HistGradientBoostingClassifier(max_iter=300, random_state=SEED)",
    regressor: () => "HistGradientBoostingRegressor(max_iter=300, random_state=SEED)",
  },
  {
    name: "model.mlp",
    cost: 2,
    about: "one-hidden-layer perceptron (256 units, early stopping)",
    imports: "from sklearn.neural_network import MLPClassifier, MLPRegressor",
    classifier: () => "MLPClassifier(hidden_layer_sizes=(256,), max_iter=100, early_stopping=True, random_state=SEED)",
    regressor: () => "MLPRegressor(hidden_layer_sizes=(256,), max_iter=100, early_stopping=True, random_state=SEED)",
  },
  {
    name: "model.ensemble",
    cost: 3,
    about: "soft-voting ensemble of logistic/ridge, forest 300 and LightGBM 600 (slowest)",
    imports: `from lightgbm import LGBMClassifier, LGBMRegressor
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor, VotingClassifier, VotingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge`,
    classifier: () =>
      `VotingClassifier([("linear", LogisticRegression(C=1.0, max_iter=500)), ("forest", RandomForestClassifier(n_estimators=300, n_jobs=1, random_state=SEED)), ("boost", LGBMClassifier(n_estimators=600, learning_rate=0.03, n_jobs=1, verbose=-1, random_state=SEED))], voting="soft")`,
    regressor: () =>
      `VotingRegressor([("linear", Ridge(alpha=1.0)), ("forest", RandomForestRegressor(n_estimators=300, n_jobs=1, random_state=SEED)), ("boost", LGBMRegressor(n_estimators=600, learning_rate=0.03, n_jobs=1, verbose=-1, random_state=SEED))])`,
  },
];

/** Every model fragment defines make_model(), shaped by the task: classifier, multi-output regressor, or span rule. */
function modelFragment(f: Family): Fragment {
  return frag(f.name, f.cost, f.about, (ctx) => {
    let body: string;
    if (ctx.output === "span") body = `return WordSpan(${f.classifier(ctx)})`;
    else if (ctx.classifier) body = `return ${f.classifier(ctx)}`;
    else body = `from sklearn.multioutput import MultiOutputRegressor\n    return MultiOutputRegressor(${f.regressor(ctx)})`;
    return `def make_model():
    ${f.imports}
    ${body}`;
  });
}

const MODELS: Fragment[] = FAMILIES.map(modelFragment);

// ---------------------------------------------------------------- validation, fitting, prediction, submission

const VALID: Fragment[] = [
  frag(
    "valid.holdout",
    1,
    "fit on 80%, keep a 20% hold-out (the predict stage scores it)",
    () =>
      `X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, random_state=SEED, stratify=stratify_labels(y))
val_model = make_model()
val_model.fit(X_tr, y_tr)
val_checks = [(val_model, X_va, y_va)]`,
  ),
  frag(
    "valid.cv3",
    2,
    "3-fold cross-validation (3 fits; the predict stage reports the mean metric)",
    () =>
      `from sklearn.model_selection import KFold, StratifiedKFold
folds = (StratifiedKFold if stratify_labels(y) is not None else KFold)(n_splits=3, shuffle=True, random_state=SEED)
val_checks = []
for fold_train, fold_valid in folds.split(X, stratify_labels(y)):
    val_model = make_model()
    val_model.fit(take(X, fold_train), y[fold_train])
    val_checks.append((val_model, take(X, fold_valid), y[fold_valid]))`,
  ),
];

const FIT: Fragment[] = [
  frag(
    "fit.full",
    1,
    "fit a fresh model on all training rows",
    () =>
      `model = make_model()
model.fit(X, y)`,
  ),
  frag(
    "fit.reuse_validation",
    1,
    "keep the model fitted during validation (no refit: faster, less data)",
    () => `model = val_model`,
    "valid",
  ),
  frag(
    "fit.half",
    1,
    "fit on a random half of the training rows (faster, worse)",
    () =>
      `half = np.random.RandomState(SEED).permutation(len(y))[: max(2, len(y) // 2)]
model = make_model()
model.fit(take(X, half), y[half])`,
  ),
];

/**
 * A predict fragment: how predictions are made from a fitted model, used for the test rows and, when the program
 * validated, on its validation rows. The metric is printed here, once, so it describes the predictions the
 * program submits (hard labels on a log-loss task score very differently from probabilities).
 */
function predictFragment(name: string, about: string, body: string): Fragment {
  return frag(
    name,
    1,
    about,
    () =>
      `def submitted(fitted, data):
${body}


out = submitted(model, X_test)
if val_checks:
    val_score = float(np.mean([score(truth, submitted(m, rows)) for m, rows, truth in val_checks]))
    print(f"validation {METRIC}: {val_score:.6f}")`,
  );
}

const PREDICT: Fragment[] = [
  predictFragment(
    "predict.scores",
    "predictions shaped for the metric (probabilities, labels, values or spans)",
    "    return predict_out(fitted, data)",
  ),
  predictFragment("predict.hard", "hard decisions only (labels / one-hot rows / rounded values)", "    return predict_hard(fitted, data)"),
  predictFragment(
    "predict.smoothed",
    "scores blended with a uniform prior (tempers over-confident probabilities)",
    `    values = predict_out(fitted, data)
    if OUTPUT == "class_proba":
        return 0.95 * values + 0.05 / values.shape[1]
    if OUTPUT == "binary_proba":
        return 0.95 * values + 0.025
    return values`,
  ),
];

const WRITE_BODY = `values = np.asarray(out)
for j, col in enumerate(SUBMISSION_COLUMNS[1:]):
    if OUTPUT == "class_proba":
        submission[col] = values[:, list(classes).index(col)]
    elif values.ndim == 2:
        submission[col] = values[:, TARGETS.index(col) if col in TARGETS else j]
    else:
        submission[col] = values`;

const WRITE: Fragment[] = [
  frag(
    "write.submission",
    1,
    "write id + prediction columns to /home/submission/submission.csv",
    () =>
      `import os
os.makedirs(os.path.dirname(SUBMISSION_PATH), exist_ok=True)
submission = pd.DataFrame({ID_COL: test[ID_COL].to_numpy()})
${WRITE_BODY}
submission.to_csv(SUBMISSION_PATH, index=False)
print(f"wrote {SUBMISSION_PATH} {submission.shape}")`,
  ),
  frag(
    "write.from_sample",
    1,
    "fill the sample submission's columns in place and write it",
    () =>
      `import os
os.makedirs(os.path.dirname(SUBMISSION_PATH), exist_ok=True)
submission = pd.read_csv(f"{DATA_DIR}/{SAMPLE_SUBMISSION_FILE}")
${WRITE_BODY}
submission.to_csv(SUBMISSION_PATH, index=False)
print(f"wrote {SUBMISSION_PATH} {submission.shape}")`,
  ),
  frag(
    "write.values_only",
    1,
    "write the prediction columns without the id column",
    () =>
      `import os
os.makedirs(os.path.dirname(SUBMISSION_PATH), exist_ok=True)
submission = pd.DataFrame(index=range(len(test)))
${WRITE_BODY}
submission.to_csv(SUBMISSION_PATH, index=False)
print(f"wrote {SUBMISSION_PATH} {submission.shape}")`,
  ),
];

/** The whole library, in token order. */
export const FRAGMENTS: readonly Fragment[] = [
  ...IMPORTS,
  ...LOAD,
  ...PREP,
  ...FEATURES,
  ...MODELS,
  ...VALID,
  ...FIT,
  ...PREDICT,
  ...WRITE,
];

const BY_NAME = new Map(FRAGMENTS.map((f) => [f.name, f]));

export function fragmentByName(name: string): Fragment {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`unknown fragment ${name}`);
  return f;
}
