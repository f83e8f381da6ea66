"""Baseline: multinomial logistic regression on the standardised raw columns."""
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
features = [c for c in train.columns if c not in ("Id", "Cover_Type")]

X_tr, X_va, y_tr, y_va = train_test_split(train[features], train["Cover_Type"], test_size=0.2, random_state=0)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
model.fit(X_tr, y_tr)
print(f"validation accuracy: {accuracy_score(y_va, model.predict(X_va)):.5f}")

model.fit(train[features], train["Cover_Type"])
OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"Id": test["Id"], "Cover_Type": model.predict(test[features])}).to_csv(OUT / "submission.csv", index=False)
