/**
 * Agent-style programs that stop at each stage, for the execution and reward tests. `{DATA}` and `{SUB}` are
 * the data and submission dirs. `reached` is what the milestone rule says each one reaches, worked out by
 * reading the program, not by running it.
 */
import type { Milestone } from "../../src/instrument/types.js";

export interface Program {
  name: string;
  code: string;
  reached: Milestone[];
  /** How the run ends: exit code 0, a Python error, or the deadline. */
  ends: "ok" | "error" | "timeout";
  /** What the test grader says about the submission (null: none written). */
  submission: "valid" | "invalid" | null;
}

const HEAD = `import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
`;

const LOAD = `train = pd.read_csv("{DATA}/train.csv")
test = pd.read_csv("{DATA}/test.csv")
`;

const FEATURES = `train["f_ab"] = train.f_a * train.f_b
test["f_ab"] = test.f_a * test.f_b
cols = ["f_a", "f_b", "f_ab"]
`;

const MODEL = `model = LogisticRegression(C=1.0)
`;

const FIT = `X_tr, X_va, y_tr, y_va = train_test_split(train[cols], train.target, test_size=0.25, random_state=0)
model.fit(X_tr, y_tr)
`;

const PREDICT = `val_pred = model.predict_proba(X_va)[:, 1]
auc = roc_auc_score(y_va, val_pred)
print(f"Validation AUC: {auc:.5f}")
test_pred = model.predict_proba(test[cols])[:, 1]
`;

const WRITE = `pd.DataFrame({"id": test.id, "target": test_pred}).to_csv("{SUB}/submission.csv", index=False)
print("wrote submission")
`;

export const PROGRAMS: Program[] = [
  { name: "syntax error", code: `${HEAD}train = pd.read_csv("{DATA}/train.csv"\nprint(1)\n`, reached: [], ends: "error", submission: null },
  {
    name: "missing package",
    code: `import numpy as np\nimport not_a_real_package_xyz\n${LOAD}`,
    reached: [],
    ends: "error",
    submission: null,
  },
  { name: "prints only", code: `print("hello")\n`, reached: [], ends: "ok", submission: null },
  {
    name: "crash while loading",
    code: `${HEAD}train = pd.read_csv("{DATA}/no_such_file.csv")\n`,
    reached: ["imports"],
    ends: "error",
    submission: null,
  },
  {
    name: "crash while building features",
    code: `${HEAD}${LOAD}train["f_ab"] = train.f_a * train.not_a_column\n`,
    reached: ["imports", "data_loaded"],
    ends: "error",
    submission: null,
  },
  {
    name: "crash defining the model",
    code: `${HEAD}${LOAD}${FEATURES}model = LogisticRegression(not_an_option=3)\n`,
    reached: ["imports", "data_loaded", "features_built"],
    ends: "error",
    submission: null,
  },
  {
    name: "crash while training",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}model.fit(train[cols], train.target.iloc[:10])\n`,
    reached: ["imports", "data_loaded", "features_built", "model_defined"],
    ends: "error",
    submission: null,
  },
  {
    name: "crash while predicting",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}${FIT}test_pred = model.predict_proba(test[["f_a"]])\n`,
    reached: ["imports", "data_loaded", "features_built", "model_defined", "model_trained"],
    ends: "error",
    submission: null,
  },
  {
    name: "crash writing the submission",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}${FIT}${PREDICT}pd.DataFrame({"id": test.id, "target": test_pred}).to_csv("{SUB}/missing_dir/submission.csv")\n`,
    reached: ["imports", "data_loaded", "features_built", "model_defined", "model_trained", "predictions_made", "validation_metric"],
    ends: "error",
    submission: null,
  },
  {
    name: "times out after training",
    code: `${HEAD}import time\n${LOAD}${FEATURES}${MODEL}${FIT}while True:\n    time.sleep(0.05)\n`,
    reached: ["imports", "data_loaded", "features_built", "model_defined", "model_trained"],
    ends: "timeout",
    submission: null,
  },
  {
    name: "invalid submission",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}${FIT}${PREDICT}pd.DataFrame({"id": test.id[:5], "prediction": test_pred[:5]}).to_csv("{SUB}/submission.csv", index=False)\n`,
    reached: [
      "imports",
      "data_loaded",
      "features_built",
      "model_defined",
      "model_trained",
      "predictions_made",
      "submission_written",
      "validation_metric",
    ],
    ends: "ok",
    submission: "invalid",
  },
  {
    name: "valid submission",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}${FIT}${PREDICT}${WRITE}`,
    reached: [
      "imports",
      "data_loaded",
      "features_built",
      "model_defined",
      "model_trained",
      "predictions_made",
      "submission_written",
      "validation_metric",
    ],
    ends: "ok",
    submission: "valid",
  },
  {
    name: "valid submission, then a crash",
    code: `${HEAD}${LOAD}${FEATURES}${MODEL}${FIT}${PREDICT}${WRITE}raise RuntimeError("after writing")\n`,
    reached: [
      "imports",
      "data_loaded",
      "features_built",
      "model_defined",
      "model_trained",
      "predictions_made",
      "submission_written",
      "validation_metric",
    ],
    ends: "error",
    submission: "valid",
  },
  {
    name: "lightgbm in functions under a main guard",
    code: `import numpy as np
import pandas as pd
import lightgbm as lgb
from sklearn.model_selection import KFold
from sklearn.metrics import roc_auc_score


def load():
    return pd.read_csv("{DATA}/train.csv"), pd.read_csv("{DATA}/test.csv")


def cv_train(train, test, feats):
    oof = np.zeros(len(train))
    preds = np.zeros(len(test))
    for tr, va in KFold(3, shuffle=True, random_state=0).split(train):
        params = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 0}
        booster = lgb.train(params, lgb.Dataset(train.loc[tr, feats], train.target[tr]), num_boost_round=20)
        oof[va] = booster.predict(train.loc[va, feats])
        preds += booster.predict(test[feats]) / 3
    score = roc_auc_score(train.target, oof)
    return preds, score


if __name__ == "__main__":
    train, test = load()
    feats = ["f_a", "f_b"]
    try:
        preds, score = cv_train(train, test, feats)
    except Exception as e:
        raise SystemExit(f"training failed: {e}")
    print("CV AUC", round(score, 4))
    with open("{SUB}/submission.csv", "w") as f:
        f.write("id,target\\n")
        for i, p in zip(test.id, preds):
            f.write(f"{i},{p:.6f}\\n")
`,
    // feats = [...] names the feature columns: features_built.
    reached: [
      "imports",
      "data_loaded",
      "features_built",
      "model_defined",
      "model_trained",
      "predictions_made",
      "submission_written",
      "validation_metric",
    ],
    ends: "ok",
    submission: "valid",
  },
];
