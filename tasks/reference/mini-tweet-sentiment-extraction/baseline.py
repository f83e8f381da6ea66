"""Baseline: predict the whole tweet as the selected text."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
OUT = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))


def jaccard(a, b):
    a, b = set(str(a).lower().split()), set(str(b).lower().split())
    c = a & b
    return len(c) / (len(a) + len(b) - len(c)) if a or b else 1.0


train = pd.read_csv(DATA / "train.csv", keep_default_na=False)
test = pd.read_csv(DATA / "test.csv", keep_default_na=False)

_, valid = train_test_split(train, test_size=0.2, random_state=0, stratify=train["sentiment"])
print(f"validation jaccard: {np.mean([jaccard(p, t) for p, t in zip(valid['text'], valid['selected_text'])]):.5f}")

OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"textID": test["textID"], "selected_text": test["text"]}).to_csv(OUT / "submission.csv", index=False)
