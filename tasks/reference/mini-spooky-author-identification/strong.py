"""Strong: a stacked ensemble. Five base models (multinomial naive Bayes on word and character counts, logistic
regression on word and character TF-IDF, NB-SVM on word presence) give out-of-fold probabilities; a logistic
regression on their log-probabilities and a few style features blends them. The printed validation score is the
cross-validated log loss of the blend on out-of-fold predictions of the training set."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import MultinomialNB

DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
OUT = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))
CLASSES = ["EAP", "HPL", "MWS"]
TOKENS = r"(?u)\b\w+\b|[^\w\s]"

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
y = train["author"].to_numpy()

vectorizers = {
    "word_counts": CountVectorizer(ngram_range=(1, 2), token_pattern=TOKENS),
    "char_counts": CountVectorizer(analyzer="char", ngram_range=(1, 4)),
    "word_tfidf": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=TOKENS),
    "char_tfidf": TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), min_df=2, sublinear_tf=True),
}
# Vectorisers are fit on train + test text (no labels involved) so every fold shares one vocabulary.
all_text = pd.concat([train["text"], test["text"]])
mats = {name: v.fit(all_text) for name, v in vectorizers.items()}
X = {name: v.transform(train["text"]).tocsr() for name, v in mats.items()}
X_test = {name: v.transform(test["text"]).tocsr() for name, v in mats.items()}


def ordered(model, P):
    return pd.DataFrame(P, columns=list(model.classes_))[CLASSES].to_numpy()


def nbsvm(A, labels, B, C=4.0):
    """One-vs-rest logistic regression on binary features scaled by naive Bayes log-count ratios."""
    A = (A > 0).astype(np.float64)
    B = (B > 0).astype(np.float64)
    out = np.zeros((B.shape[0], len(CLASSES)))
    for j, c in enumerate(CLASSES):
        pos = labels == c
        p = (np.asarray(A[pos].sum(0)).ravel() + 1) / (pos.sum() + 1)
        q = (np.asarray(A[~pos].sum(0)).ravel() + 1) / ((~pos).sum() + 1)
        r = np.log(p / q)
        m = LogisticRegression(C=C, max_iter=2000).fit(A.multiply(r).tocsr(), pos.astype(int))
        out[:, j] = m.predict_proba(B.multiply(r).tocsr())[:, 1]
    return out / out.sum(1, keepdims=True)


def base_models():
    def mnb(name, alpha):
        def f(a, b, Xa, Xb):
            m = MultinomialNB(alpha=alpha).fit(Xa[name][a], y[a])
            return ordered(m, m.predict_proba(Xb[name][b]))
        return f

    def lr(name, C):
        def f(a, b, Xa, Xb):
            m = LogisticRegression(C=C, max_iter=2000).fit(Xa[name][a], y[a])
            return ordered(m, m.predict_proba(Xb[name][b]))
        return f

    return {
        "mnb_word": mnb("word_counts", 0.3),
        "mnb_char": mnb("char_counts", 1.0),
        "lr_word": lr("word_tfidf", 10.0),
        "lr_char": lr("char_tfidf", 3.0),
        "nbsvm_word": lambda a, b, Xa, Xb: nbsvm(Xa["word_counts"][a], y[a], Xb["word_counts"][b]),
    }


def style(texts):
    t = texts.fillna("")
    words = t.str.split().str.len()
    feats = [np.log1p(words), np.log1p(t.str.len()), t.str.count(";") / words, t.str.count(",") / words, t.str.count("--") / words, t.str.count('"') / words]
    return np.column_stack(feats)


folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(train["text"], y))
everything = np.arange(len(train))
all_test = np.arange(len(test))
oof, test_pred = [], []
for name, fit_predict in base_models().items():
    P = np.zeros((len(train), len(CLASSES)))
    for a, b in folds:
        P[b] = fit_predict(a, b, X, X)
    oof.append(np.log(np.clip(P, 1e-15, 1)))
    test_pred.append(np.log(np.clip(fit_predict(everything, all_test, X, X_test), 1e-15, 1)))
    print(f"{name}: out-of-fold log_loss {log_loss(y, P, labels=CLASSES):.5f}", flush=True)

meta_train = np.hstack(oof + [style(train["text"])])
meta_test = np.hstack(test_pred + [style(test["text"])])
mu, sd = meta_train.mean(0), meta_train.std(0) + 1e-9
meta_train, meta_test = (meta_train - mu) / sd, (meta_test - mu) / sd
blender = LogisticRegression(C=0.3, max_iter=5000)
P_oof = cross_val_predict(blender, meta_train, y, cv=StratifiedKFold(5, shuffle=True, random_state=1), method="predict_proba")
print(f"validation log_loss: {log_loss(y, P_oof, labels=sorted(CLASSES)):.5f}")

blender.fit(meta_train, y)
sub = pd.DataFrame(ordered(blender, blender.predict_proba(meta_test)), columns=CLASSES)
sub.insert(0, "id", test["id"])
OUT.mkdir(parents=True, exist_ok=True)
sub.to_csv(OUT / "submission.csv", index=False)
