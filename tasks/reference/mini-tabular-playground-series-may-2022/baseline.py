"""Baseline: logistic regression on the numeric columns (f_27 dropped), standardised."""
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
features = [c for c in train.columns if c not in ("id", "target", "f_27")]

X_tr, X_va, y_tr, y_va = train_test_split(train[features], train["target"], test_size=0.2, random_state=0, stratify=train["target"])
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(X_tr, y_tr)
print(f"validation roc_auc: {roc_auc_score(y_va, model.predict_proba(X_va)[:, 1]):.5f}")

model.fit(train[features], train["target"])
OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"id": test["id"], "target": model.predict_proba(test[features])[:, 1]}).to_csv(OUT / "submission.csv", index=False)
