import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Cell } from "../../src/io/csv.js";
import { gradeSubmission } from "../../src/grading/index.js";
import { Rng } from "../../src/util/random.js";
import { decodeNumber, runPython } from "../metrics/reference.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile, type CsvData } from "./fixtures.js";

// Randomly damaged submissions: our verdict (valid or not) and score must be those of MLE-bench's documented
// rules (reference/mlebench.md) applied with pandas semantics in Python — column checks, row counts, numeric
// conversion, [0, 1] ranges, row sums, id sorting and matching, and the metric raising on bad input.

const COMPETITIONS = Object.keys(FACTS).filter((c) => c !== "detecting-insults-in-social-commentary"); // insults: same rules as pizza
const CELLS = ["", "nan", "NA", "abc", "1.5", "-0.1", "0", "1", "0.5", "1e-3", " 0.25", "True", "inf", "2", "7", "3.0"];

type Mutation = (s: CsvData, rng: Rng) => void;

const MUTATIONS: Mutation[] = [
  (s, rng) => (s.rows[rng.int(s.rows.length)]![rng.int(s.header.length)] = rng.pick(CELLS)),
  (s, rng) => (s.rows[rng.int(s.rows.length)]![1 + rng.int(s.header.length - 1)] = rng.pick(CELLS)),
  (s, rng) => s.rows.splice(rng.int(s.rows.length), 1),
  (s, rng) => s.rows.push(s.rows[rng.int(s.rows.length)]!.slice()),
  (s, rng) => (s.rows[rng.int(s.rows.length)]![0] = s.rows[rng.int(s.rows.length)]![0]!),
  (s, rng) => {
    const order = rng.shuffle(s.header.map((_, j) => j));
    s.header = order.map((j) => s.header[j]!);
    s.rows = s.rows.map((r) => order.map((j) => r[j]!));
  },
  (s, rng) => (s.header[rng.int(s.header.length)] = rng.pick(["x", "id", "target", "EAP", "winner_tie"])),
  (s) => {
    s.header.push("extra");
    s.rows.forEach((r) => r.push(1));
  },
  (s, rng) => {
    const r = s.rows[rng.int(s.rows.length)]!;
    const f = 1 + rng.pick([1e-7, 1e-6, 2e-6, 9e-6, 1.2e-5, 3e-5, -4e-7, -2e-6]);
    for (let j = 1; j < r.length; j++) if (typeof r[j] === "number") r[j] = (r[j] as number) * f;
  },
  (s, rng) => {
    const j = 1 + rng.int(s.header.length - 1);
    s.rows.forEach((r) => (r[j] = rng.pick([0, 1, 0.5, "", "word"])));
  },
];

test("randomly damaged submissions get MLE-bench's verdict and score", (t) => {
  const rng = new Rng(2024);
  const dataDir = makeDataDir();
  const cases: { competition: string; submission: string; answers: string; valid: boolean; score: number | null; error: string | null }[] =
    [];
  for (const competition of COMPETITIONS) {
    const facts = FACTS[competition]!;
    const paths = taskPaths(dataDir, competition);
    const pair = validPair(competition, 500, 30);
    const answers = writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
    const spec = makeSpec(competition, facts);
    for (let k = 0; k < 25; k++) {
      const s: CsvData = { header: pair.submission.header.slice(), rows: pair.submission.rows.map((r) => r.slice() as Cell[]) };
      const times = k < 3 ? 0 : 1 + rng.int(2);
      for (let m = 0; m < times; m++) rng.pick(MUTATIONS)(s, rng);
      const submission = writeCsvFile(join(dataDir, `${competition}-${k}.csv`), s);
      const report = gradeSubmission(spec, paths, submission);
      cases.push({ competition, submission, answers, valid: report.valid_submission, score: report.score, error: report.error });
    }
  }
  const verdicts = runPython(
    FUZZ_REFERENCE,
    cases.map(({ competition, submission, answers }) => ({ competition, submission, answers })),
  ) as ({ valid: true; score: unknown } | { valid: false; why: string })[];
  let valid = 0;
  cases.forEach((c, i) => {
    const v = verdicts[i]!;
    const label = `${c.competition} case ${i} (${c.submission}): ours ${c.valid ? `valid ${c.score}` : `invalid: ${c.error}`}; reference ${v.valid ? `valid ${String(v.score)}` : `invalid: ${v.why}`}`;
    assert.equal(c.valid, v.valid, label);
    if (v.valid) {
      valid++;
      assert.equal(c.score, decodeNumber(v.score), label);
    } else {
      assert.ok(c.error && c.error.length > 10, `${label}: an invalid submission says why`);
    }
  });
  assert.ok(valid > 20 && valid < cases.length - 50, `both verdicts are exercised (${valid} valid of ${cases.length})`);
  t.diagnostic(`${cases.length} damaged submissions, ${valid} still valid; all verdicts and scores agree`);
});

const FUZZ_REFERENCE = `
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

out = []
for c in DATA:
    try:
        s = pd.read_csv(c["submission"], float_precision="round_trip")
        a = pd.read_csv(c["answers"], float_precision="round_trip")
        v = float(RULES[c["competition"]](s, a))
        if not math.isfinite(v):
            raise Invalid(f"score {v}")
        out.append({"valid": True, "score": round(v, 5)})
    except Exception as e:
        out.append({"valid": False, "why": f"{type(e).__name__}: {e}"[:200]})
print(json.dumps(enc(out)))
`;
