"""Medium: neutral tweets are selected whole; for positive and negative tweets each word gets a learned weight
(how often it lies inside the selected text of training tweets with that sentiment, smoothed), and the prediction
is the contiguous run of words with the largest total weight above a threshold tuned on a hold-out split."""
import os
import re
from collections import Counter
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


def norm(word):
    bare = re.sub(r"^[^\w]+|[^\w]+$", "", word.lower())
    return bare or word.lower()


def fit_weights(df, prior=2.0):
    """Per sentiment: P(word inside the selected text | word in the tweet), shrunk towards the overall rate."""
    weights = {}
    for s in ("positive", "negative"):
        part = df[df["sentiment"] == s]
        inside, total = Counter(), Counter()
        hits = words = 0
        for text, sel in zip(part["text"], part["selected_text"]):
            toks = [norm(w) for w in text.split()]
            chosen = Counter(norm(w) for w in sel.split())
            for t in toks:
                total[t] += 1
                if chosen[t] > 0:
                    inside[t] += 1
                    chosen[t] -= 1
            hits += len(sel.split())
            words += len(toks)
        base = hits / max(words, 1)
        weights[s] = ({w: (inside[w] + prior * base) / (total[w] + prior) for w in total}, base)
    return weights


def predict(text, sentiment, weights, tau):
    words = text.split()
    if sentiment == "neutral" or len(words) <= 2:
        return text
    table, base = weights[sentiment]
    scores = [table.get(norm(w), base) - tau for w in words]
    best, best_span, run, start = 0.0, None, 0.0, 0
    for i, s in enumerate(scores):  # maximum-sum contiguous run (Kadane)
        if run <= 0:
            run, start = s, i
        else:
            run += s
        if run > best:
            best, best_span = run, (start, i)
    if best_span is None:
        return text
    return " ".join(words[best_span[0] : best_span[1] + 1])


def score(df, weights, tau):
    return np.mean([jaccard(predict(t, s, weights, tau), y) for t, s, y in zip(df["text"], df["sentiment"], df["selected_text"])])


train = pd.read_csv(DATA / "train.csv", keep_default_na=False)
test = pd.read_csv(DATA / "test.csv", keep_default_na=False)

fit, valid = train_test_split(train, test_size=0.2, random_state=0, stratify=train["sentiment"])
weights = fit_weights(fit)
taus = np.arange(0.1, 0.75, 0.05)
results = [score(valid, weights, t) for t in taus]
tau = float(taus[int(np.argmax(results))])
print(f"threshold {tau:.2f}")
print(f"validation jaccard: {max(results):.5f}")

weights = fit_weights(train)
pred = [predict(t, s, weights, tau) for t, s in zip(test["text"], test["sentiment"])]
OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"textID": test["textID"], "selected_text": pred}).to_csv(OUT / "submission.csv", index=False)
