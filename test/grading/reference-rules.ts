/**
 * MLE-bench's documented rules for 11 of the 12 competitions (reference/mlebench.md), written with pandas,
 * NumPy, scikit-learn and SciPy: Python that defines RULES[competition](submission_df, answers_df) -> score,
 * raising for an invalid submission. Insults is left out: its rules are pizza's (ROC AUC, rows matched by id).
 */
export const REFERENCE_RULES = `
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score, log_loss, accuracy_score, cohen_kappa_score, root_mean_squared_log_error
from scipy.stats import pearsonr

class Invalid(Exception):
    pass

def need(cond, why):
    if not cond:
        raise Invalid(why)

def same_ids(s, a, key):
    s = s.sort_values(key).reset_index(drop=True)
    a = a.sort_values(key).reset_index(drop=True)
    need(len(s) == len(a) and (s[key].values == a[key].values).all(), "ids")
    return s, a

def auc_rules(s, a, key, col):
    need(key in s.columns and col in s.columns, "columns")
    need(len(s) == len(a), "rows")
    pd.to_numeric(s[col])
    need(not (s[col].min() < 0 or s[col].max() > 1), "range")
    s, a = same_ids(s, a, key)
    return roc_auc_score(a[col].to_numpy(), s[col].to_numpy())

def spooky_rules(s, a):
    cls = ["EAP", "HPL", "MWS"]
    need(s.shape == (len(a), len(cls) + 1), "shape")
    need(np.all(np.isclose(s.iloc[:, 1:].sum(axis=1), 1, atol=1e-6)), "sums")
    need(((s.iloc[:, 1:] >= 0) & (s.iloc[:, 1:] <= 1)).all().all(), "range")
    need(set(a.columns) <= set(s.columns), "columns")
    s, a = same_ids(s[list(a.columns)], a, "id")
    return log_loss(a[cls].to_numpy(), s[cls].to_numpy())

def lmsys_rules(s, a):
    cls = ["winner_model_a", "winner_model_b", "winner_tie"]
    need(all(c in s.columns for c in ["id"] + cls), "columns")
    need(len(s) == len(a), "rows")
    need(((s[cls] >= 0) & (s[cls] <= 1)).all().all(), "range")
    need(s[cls].sum(axis=1).round(6).eq(1).all(), "sums")
    s, a = same_ids(s[["id"] + cls], a[["id"] + cls], "id")
    return log_loss(a[cls].to_numpy(), s[cls].to_numpy())

def tweet_rules(s, a):
    need("textID" in s.columns and "selected_text" in s.columns, "columns")
    need(len(s) == len(a), "rows")
    s, a = same_ids(s, a, "textID")
    def jac(x, y):
        x = set(x.lower().split()); y = set(y.lower().split()); c = x & y
        return len(c) / (len(x) + len(y) - len(c))
    p = s["selected_text"].fillna("").astype(str); t = a["selected_text"].fillna("").astype(str)
    return float(np.mean([jac(x, y) for x, y in zip(p, t)]))

def accuracy_rules(s, a):
    need(len(s) == len(a), "rows")
    need("Cover_Type" in s.columns and "Id" in s.columns, "columns")
    s, a = same_ids(s, a, "Id")
    return accuracy_score(a["Cover_Type"].to_numpy(), s["Cover_Type"].to_numpy())

def nomad_rules(s, a):
    cols = ["formation_energy_ev_natom", "bandgap_energy_ev"]
    need(all(c in s.columns for c in cols), "columns")
    need(len(s) == len(a), "rows")
    need(not any((s[c] < 0).any() for c in cols), "negative")  # scikit-learn 1.5 rejects negative values
    return (root_mean_squared_log_error(a[cols[0]], s[cols[0]]) + root_mean_squared_log_error(a[cols[1]], s[cols[1]])) / 2

def leaf_rules(s, a):
    cls = [c for c in a.columns if c != "id"]
    need(set(s.columns) == {"id"} | set(cls), "columns")
    need(len(s) == len(a), "rows")
    need(np.all(np.isclose(s[cls].sum(axis=1), 1, atol=1e-6)), "sums")
    need(((s[cls] >= 0) & (s[cls] <= 1)).all().all(), "range")
    s, a = same_ids(s[list(a.columns)], a, "id")
    return log_loss(a[cls].to_numpy(), s[cls].to_numpy())

def plant_rules(s, a):
    cls = ["healthy", "multiple_diseases", "rust", "scab"]
    need(len(s) == len(a), "rows")
    need(set(s.columns) == set(["image_id"] + cls), "columns")
    s, a = same_ids(s, a, "image_id")
    return float(np.mean([roc_auc_score(a[c], s[c]) for c in cls]))

def qwk_rules(s, a):
    need("score" in s.columns and "essay_id" in s.columns, "columns")
    need(not s.empty, "empty")
    s, a = same_ids(s, a, "essay_id")
    return cohen_kappa_score(s["score"].values, a["score"].values, weights="quadratic")

def pearson_rules(s, a):
    need(len(s) == len(a), "rows")
    need({"id", "score"} <= set(s.columns), "columns")
    s, a = same_ids(s, a, "id")
    return pearsonr(a["score"].to_numpy(), s["score"].to_numpy())[0]

RULES = {
    "nomad2018-predict-transparent-conductors": nomad_rules,
    "leaf-classification": leaf_rules,
    "plant-pathology-2020-fgvc7": plant_rules,
    "learning-agency-lab-automated-essay-scoring-2": qwk_rules,
    "us-patent-phrase-to-phrase-matching": pearson_rules,
    "random-acts-of-pizza": lambda s, a: auc_rules(s, a, "request_id", "requester_received_pizza"),
    "tabular-playground-series-may-2022": lambda s, a: auc_rules(s, a, "id", "target"),
    "spooky-author-identification": spooky_rules,
    "lmsys-chatbot-arena": lmsys_rules,
    "tweet-sentiment-extraction": tweet_rules,
    "tabular-playground-series-dec-2021": accuracy_rules,
}
`;
