"""Baseline: logistic regression with default regularisation on the standardised raw features."""
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
sample = pd.read_csv(DATA / "sample_submission.csv")
features = [c for c in test.columns if c != "id"]

X_tr, X_va, y_tr, y_va = train_test_split(train[features], train["species"], test_size=0.2, random_state=0, stratify=train["species"])
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_tr, y_tr)
print(f"validation log_loss: {log_loss(y_va, model.predict_proba(X_va), labels=model.classes_):.5f}")

model.fit(train[features], train["species"])
proba = pd.DataFrame(model.predict_proba(test[features]), columns=model.classes_)
OUT.mkdir(parents=True, exist_ok=True)
submission = pd.concat([test[["id"]], proba[sample.columns[1:]]], axis=1)
submission.to_csv(OUT / "submission.csv", index=False)
