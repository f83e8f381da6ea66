"""Strong: token-level gradient boosting. Every word of a positive or negative tweet becomes a row with learned
word statistics (out-of-fold rates of lying inside the selected text, sentiment log-odds, and a character n-gram
model of the same rate that also covers unseen spellings), the same statistics of its neighbours, its position
and its shape. Two LightGBM models predict whether the word starts and whether it
ends the selected text; the span with the largest P(start) * P(end) is chosen. Neutral tweets are selected whole.
The printed validation score is the Jaccard score on a 20% hold-out split."""
import os
import re
from collections import Counter
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, train_test_split

DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
OUT = Path(os.environ.get("SUBMISSION_DIR", "/home/submission"))
POLAR = ("positive", "negative")


def jaccard(a, b):
    a, b = set(str(a).lower().split()), set(str(b).lower().split())
    c = a & b
    return len(c) / (len(a) + len(b) - len(c)) if a or b else 1.0


def norm(word):
    bare = re.sub(r"^[^\w]+|[^\w]+$", "", word.lower())
    return bare or word.lower()


def span_of(text, selected):
    """Word indices (first, last) of the selected text inside the tweet's whitespace words."""
    words, sel = text.split(), selected.split()
    k = len(sel)
    for i in range(len(words) - k + 1):
        if words[i : i + k] == sel:
            return i, i + k - 1
    return 0, len(words) - 1


class WordStats:
    """Smoothed per-word rates learned from labelled tweets."""

    def __init__(self, df, prior=2.0):
        self.inside = {s: Counter() for s in POLAR}
        self.total = {s: Counter() for s in POLAR}
        self.by_sent = {s: Counter() for s in ("positive", "negative", "neutral")}
        self.first = {s: Counter() for s in POLAR}
        self.last = {s: Counter() for s in POLAR}
        for text, sel, s in zip(df["text"], df["selected_text"], df["sentiment"]):
            toks = [norm(w) for w in text.split()]
            for t in set(toks):
                self.by_sent[s][t] += 1
            if s not in POLAR:
                continue
            a, b = span_of(text, sel)
            for i, t in enumerate(toks):
                self.total[s][t] += 1
                self.inside[s][t] += a <= i <= b
                self.first[s][t] += i == a
                self.last[s][t] += i == b
        self.prior = prior
        self.base = {s: sum(self.inside[s].values()) / max(1, sum(self.total[s].values())) for s in POLAR}
        self.n_sent = {s: sum(1 for x in df["sentiment"] if x == s) for s in self.by_sent}

    def rate(self, table, s, t, base):
        return (table[s][t] + self.prior * base) / (self.total[s][t] + self.prior)

    def features(self, t, s):
        other = "negative" if s == "positive" else "positive"
        pos = (self.by_sent["positive"][t] + 0.5) / (self.n_sent["positive"] + 1)
        neg = (self.by_sent["negative"][t] + 0.5) / (self.n_sent["negative"] + 1)
        neu = (self.by_sent["neutral"][t] + 0.5) / (self.n_sent["neutral"] + 1)
        sign = 1 if s == "positive" else -1
        return [
            self.rate(self.inside, s, t, self.base[s]),
            self.rate(self.inside, other, t, self.base[other]),
            self.rate(self.first, s, t, 0.1),
            self.rate(self.last, s, t, 0.1),
            sign * np.log(pos / neg),
            np.log((pos + neg) / 2 / neu),
            np.log1p(self.total[s][t]),
        ]


N_WORD = 7
N_COLS = 8


def shape(w):
    return [w[:1].isupper(), w.isupper() and len(w) > 1, "!" in w, "?" in w, w.startswith("@"), "http" in w, not re.search(r"\w", w), len(w)]


def tweet_rows(text, s, models):
    stats, chars = models
    words = text.split()
    n = len(words)
    W = np.array([stats.features(norm(w), s) for w in words], dtype=float).reshape(n, N_WORD)
    W = np.hstack([W, chars.prob(words, s)[:, None]])
    pad = np.zeros((2, N_COLS))
    P = np.vstack([pad, W, pad])
    inside = W[:, 0]
    top = int(np.argmax(inside))
    rank = inside.argsort()[::-1].argsort()
    rows = []
    for i, w in enumerate(words):
        rows.append(
            list(W[i]) + list(P[i]) + list(P[i + 1]) + list(P[i + 3]) + list(P[i + 4])
            + [i, n - 1 - i, i / max(1, n - 1), n, rank[i], i - top, inside[i] - inside.max(), inside.mean(), s == "positive"]
            + shape(w)
        )
    return rows


def build(df, stats_for_row, with_labels):
    X, ys, ye, group = [], [], [], []
    for k, (text, s) in enumerate(zip(df["text"], df["sentiment"])):
        if s not in POLAR or not text.split():
            continue
        rows = tweet_rows(text, s, stats_for_row(k))
        X.extend(rows)
        group.extend([k] * len(rows))
        if with_labels:
            a, b = span_of(text, df["selected_text"].iloc[k])
            ys.extend(int(i == a) for i in range(len(rows)))
            ye.extend(int(i == b) for i in range(len(rows)))
    return np.array(X, dtype=float), np.array(ys), np.array(ye), np.array(group)


class CharModel:
    """P(word inside the selected text | the word's character n-grams, sentiment): generalises to unseen spellings."""

    def __init__(self, df):
        words, ys = [], []
        for text, sel, s in zip(df["text"], df["selected_text"], df["sentiment"]):
            if s not in POLAR:
                continue
            a, b = span_of(text, sel)
            for i, w in enumerate(text.split()):
                words.append(self.key(w, s))
                ys.append(int(a <= i <= b))
        self.vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True)
        X = self.vec.fit_transform(words)
        self.lr = LogisticRegression(C=3, max_iter=2000).fit(X, ys)
        self.cache = {}

    @staticmethod
    def key(w, s):
        return ("P " if s == "positive" else "N ") + norm(w)

    def prob(self, words, s):
        keys = [self.key(w, s) for w in words]
        miss = [k for k in set(keys) if k not in self.cache]
        if miss:
            for k, p in zip(miss, self.lr.predict_proba(self.vec.transform(miss))[:, 1]):
                self.cache[k] = p
        return np.array([self.cache[k] for k in keys])


def oof_stats(df, folds=5):
    """Word statistics and character model for each training row, fitted without that row's fold, so the features
    of training rows are as good as they will be at test time (no leak of the row's own span)."""
    owner = {}
    for a, b in KFold(folds, shuffle=True, random_state=0).split(df):
        st = (WordStats(df.iloc[a]), CharModel(df.iloc[a]))
        for k in b:
            owner[k] = st
    return lambda k: owner[k]


PARAMS = dict(objective="binary", learning_rate=0.05, num_leaves=15, min_child_samples=20, feature_fraction=0.8, bagging_fraction=0.8, bagging_freq=1, lambda_l2=1.0, n_estimators=300, verbose=-1, n_jobs=1)


GRID = {}


def spans_of(n):
    """All word spans (a, b), a <= b, of a tweet of n words."""
    if n not in GRID:
        GRID[n] = np.array([(a, b) for a in range(n) for b in range(a, n)])
    return GRID[n]


def fit_predict(fit_df, new_df):
    fit_df = fit_df.reset_index(drop=True)
    new_df = new_df.reset_index(drop=True)
    X, ys, ye, _ = build(fit_df, oof_stats(fit_df), True)
    start = lgb.LGBMClassifier(**PARAMS).fit(X, ys)
    end = lgb.LGBMClassifier(**PARAMS).fit(X, ye)
    full = (WordStats(fit_df), CharModel(fit_df))
    Xn, _, _, group = build(new_df, lambda k: full, False)
    ps, pe = start.predict_proba(Xn)[:, 1], end.predict_proba(Xn)[:, 1]
    out = list(new_df["text"])
    for k in np.unique(group):
        idx = np.where(group == k)[0]
        spans = spans_of(len(idx))
        best = spans[int(np.argmax(ps[idx][spans[:, 0]] * pe[idx][spans[:, 1]]))]
        words = new_df["text"].iloc[k].split()
        out[k] = " ".join(words[best[0] : best[1] + 1])
    return out


train = pd.read_csv(DATA / "train.csv", keep_default_na=False)
test = pd.read_csv(DATA / "test.csv", keep_default_na=False)

fit, valid = train_test_split(train, test_size=0.2, random_state=0, stratify=train["sentiment"])
pred = fit_predict(fit, valid)
print(f"validation jaccard: {np.mean([jaccard(p, t) for p, t in zip(pred, valid['selected_text'])]):.5f}")

pred = fit_predict(train, test)
OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"textID": test["textID"], "selected_text": pred}).to_csv(OUT / "submission.csv", index=False)
