"""Medium: word (1-2) and character (1-5) TF-IDF side by side, one logistic regression with a tuned C."""
import os
from pathlib import Path

import pandas as pd
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
OUT = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))
CLASSES = ["EAP", "HPL", "MWS"]
TOKENS = r"(?u)\b\w+\b|[^\w\s]"  # keep punctuation: semicolons and dashes are part of an author's style

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")


def fit_predict(texts, labels, new_texts):
    word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=TOKENS)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), min_df=2, sublinear_tf=True)
    X = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    X_new = hstack([word.transform(new_texts), char.transform(new_texts)]).tocsr()
    model = LogisticRegression(C=3, max_iter=2000).fit(X, labels)
    return pd.DataFrame(model.predict_proba(X_new), columns=list(model.classes_))[CLASSES].to_numpy()


X_tr, X_va, y_tr, y_va = train_test_split(train["text"], train["author"], test_size=0.2, random_state=0, stratify=train["author"])
print(f"validation log_loss: {log_loss(y_va, fit_predict(X_tr, y_tr, X_va), labels=CLASSES):.5f}")

sub = pd.DataFrame(fit_predict(train["text"], train["author"], test["text"]), columns=CLASSES)
sub.insert(0, "id", test["id"])
OUT.mkdir(parents=True, exist_ok=True)
sub.to_csv(OUT / "submission.csv", index=False)
