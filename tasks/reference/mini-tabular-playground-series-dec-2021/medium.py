"""Medium: LightGBM with near-default settings on the raw columns (no feature engineering, one model)."""
from pathlib import Path

import lightgbm as lgb
import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
features = [c for c in train.columns if c not in ("Id", "Cover_Type")]

params = dict(n_estimators=200, learning_rate=0.05, n_jobs=1, verbose=-1, random_state=0)
X_tr, X_va, y_tr, y_va = train_test_split(train[features], train["Cover_Type"], test_size=0.2, random_state=0)
model = lgb.LGBMClassifier(**params).fit(X_tr, y_tr)
print(f"validation accuracy: {accuracy_score(y_va, model.predict(X_va)):.5f}")

model = lgb.LGBMClassifier(**params).fit(train[features], train["Cover_Type"])
OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"Id": test["Id"], "Cover_Type": model.predict(test[features])}).to_csv(OUT / "submission.csv", index=False)
