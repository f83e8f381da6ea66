"""Strong: feature engineering from the competition's known structure (ternary interaction features of summed
columns, letter counts and distinct-letter count of f_27) + a tuned LightGBM, 5-fold CV, fold models averaged."""
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
LETTERS = "ABCDEFGHIJKLMNOPQRST"


def featurize(df: pd.DataFrame) -> pd.DataFrame:
    X = df.drop(columns=[c for c in ("id", "target", "f_27") if c in df.columns]).copy()
    s = df["f_27"]
    for i in range(10):
        X[f"ch{i}"] = s.str[i].map(ord) - ord("A")
    for letter in LETTERS[:12]:
        X[f"n_{letter}"] = s.str.count(letter)
    X["distinct"] = s.map(lambda t: len(set(t)))
    X["s_02_21"] = df["f_02"] + df["f_21"]
    X["s_05_22"] = df["f_05"] + df["f_22"]
    X["s_00_01_26"] = df["f_00"] + df["f_01"] + df["f_26"]
    X["f_03_sq"] = df["f_03"] ** 2
    return X


X, y, X_test = featurize(train), train["target"].to_numpy(), featurize(test)
params = dict(n_estimators=900, learning_rate=0.02, num_leaves=15, min_child_samples=30, subsample=0.8, subsample_freq=1,
              colsample_bytree=0.6, reg_lambda=2.0, n_jobs=1, verbose=-1)
oof = np.zeros(len(X))
pred = np.zeros(len(X_test))
for fold, (tr, va) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
    model = lgb.LGBMClassifier(**params, random_state=fold).fit(X.iloc[tr], y[tr])
    oof[va] = model.predict_proba(X.iloc[va])[:, 1]
    pred += model.predict_proba(X_test)[:, 1] / 5
print(f"validation roc_auc: {roc_auc_score(y, oof):.5f}")

OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"id": test["id"], "target": pred}).to_csv(OUT / "submission.csv", index=False)
