"""Baseline: TF-IDF word unigrams and bigrams, one logistic regression."""
import os
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
OUT = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))
CLASSES = ["EAP", "HPL", "MWS"]

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")


def model():
    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), LogisticRegression(max_iter=1000))


X_tr, X_va, y_tr, y_va = train_test_split(train["text"], train["author"], test_size=0.2, random_state=0, stratify=train["author"])
m = model().fit(X_tr, y_tr)
print(f"validation log_loss: {log_loss(y_va, m.predict_proba(X_va), labels=CLASSES):.5f}")

m = model().fit(train["text"], train["author"])
proba = m.predict_proba(test["text"])
sub = pd.DataFrame(proba, columns=list(m.classes_))[CLASSES]
sub.insert(0, "id", test["id"])
OUT.mkdir(parents=True, exist_ok=True)
sub.to_csv(OUT / "submission.csv", index=False)
