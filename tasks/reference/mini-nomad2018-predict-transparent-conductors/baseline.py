"""Baseline: ridge regression on the raw columns, one model per target, fitted on log1p(target)."""
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATA = Path("/home/data")
OUT = Path("/home/submission")
TARGETS = ["formation_energy_ev_natom", "bandgap_energy_ev"]

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
features = [c for c in test.columns if c != "id"]


def rmsle(y, p):
    return float(np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2)))


tr, va = train_test_split(train, test_size=0.2, random_state=0)
scores = []
submission = pd.DataFrame({"id": test["id"]})  # keep test.csv's row order: rows are graded by position
for target in TARGETS:
    model = make_pipeline(StandardScaler(), Ridge(alpha=1.0)).fit(tr[features], np.log1p(tr[target]))
    scores.append(rmsle(va[target], np.clip(np.expm1(model.predict(va[features])), 0, None)))
    model.fit(train[features], np.log1p(train[target]))
    submission[target] = np.clip(np.expm1(model.predict(test[features])), 0, None)
print(f"validation mean rmsle: {np.mean(scores):.5f}")

OUT.mkdir(parents=True, exist_ok=True)
submission.to_csv(OUT / "submission.csv", index=False)
