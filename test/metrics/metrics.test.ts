import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../src/util/random.js";
import {
  accuracy,
  lowerWords,
  meanColumnRmsle,
  meanColumnRocAuc,
  meanWordJaccard,
  multiclassLogLoss,
  pearson,
  quadraticWeightedKappa,
  rmsle,
  rocAuc,
  wordJaccard,
} from "../../src/metrics/index.js";
import { decodeNumber, runPython } from "./reference.js";

// Every case below is generated here, scored by our TypeScript metric and by scikit-learn / scipy in the agent
// venv (one Python process for all of them), and the two must agree to 1e-9 (NaN must match NaN).

const rng = new Rng(20260425);
const TOL = 1e-9;

type Case = { metric: string; args: unknown[] };
const cases: Case[] = [];
const ours: number[] = [];

function add(metric: string, args: unknown[], value: number): void {
  cases.push({ metric, args });
  ours.push(value);
}

const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
const roundTo = (x: number, digits: number) => Number(x.toFixed(digits));

// --- ROC AUC: continuous scores, heavy ties, extremes, labels other than {0, 1}, degenerate classes
for (let c = 0; c < 120; c++) {
  const n = 2 + rng.int(c < 20 ? 8 : 400);
  const style = c % 6;
  const prevalence = uniform(0.05, 0.95);
  let y = Array.from({ length: n }, () => (rng.next() < prevalence ? 1 : 0));
  if (c % 17 === 0) y = y.map(() => 1); // one class only: undefined
  const scores = y.map((yi) => {
    const base = 1 / (1 + Math.exp(-(rng.normal() + (yi ? 0.8 : 0))));
    if (style === 1) return roundTo(base, 1); // many ties
    if (style === 2) return rng.pick([0, 1, 0.5, 1e-300, 1 - 2 ** -53, 5e-324]); // extremes and ties
    if (style === 3) return 0.25; // all tied
    if (style === 4) return rng.normal() * 1e6; // unbounded scores
    return base;
  });
  const labels = style === 5 ? y.map((v) => (v ? 7 : 2)) : y; // the larger label is the positive class
  add("roc_auc", [labels, scores], rocAuc(labels, scores));
}

// --- mean column-wise ROC AUC over 4 one-hot columns (plant pathology)
for (let c = 0; c < 30; c++) {
  const n = 8 + rng.int(200);
  const cls = Array.from({ length: n }, () => rng.int(4));
  for (let j = 0; j < 4; j++) if (!cls.includes(j)) cls[j] = j; // every column has both classes
  const trueCols = [0, 1, 2, 3].map((j) => cls.map((k) => (k === j ? 1 : 0)));
  const scoreCols = [0, 1, 2, 3].map((j) => cls.map((k) => roundTo(rng.next() + (k === j ? 0.3 : 0), c % 3 === 0 ? 1 : 6)));
  add("mean_roc_auc", [trueCols, scoreCols], meanColumnRocAuc(trueCols, scoreCols));
}

// --- accuracy
for (let c = 0; c < 40; c++) {
  const n = 1 + rng.int(300);
  const k = 2 + rng.int(7);
  const yTrue = Array.from({ length: n }, () => 1 + rng.int(k));
  const yPred = yTrue.map((v) => (rng.next() < 0.6 ? v : 1 + rng.int(k)));
  add("accuracy", [yTrue, yPred], accuracy(yTrue, yPred));
}

// --- multiclass log loss: softmax rows, exact 0/1, subnormal and near-1 values, rows not summing to 1
for (let c = 0; c < 80; c++) {
  const n = 1 + rng.int(150);
  const k = [2, 3, 3, 5, 99][c % 5] as number;
  const style = Math.floor(c / 5) % 4;
  const yTrue: number[][] = [];
  const yPred: number[][] = [];
  for (let i = 0; i < n; i++) {
    const label = rng.int(k);
    yTrue.push(Array.from({ length: k }, (_, j) => (j === label ? 1 : 0)));
    const logits = Array.from({ length: k }, (_, j) => rng.normal() * (style === 1 ? 30 : 2) + (j === label ? 1 : 0));
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    let p = e.map((v) => v / s);
    if (style === 2) p = p.map(() => rng.pick([0, 1, 1e-300, 1 - 1e-17, 1 - 2 ** -53, 2 ** -60, 0.5]));
    if (style === 3) p = p.map((v) => v * uniform(0.8, 1)); // not normalised: no renormalisation
    if (style === 3 && c % 4 === 3 && i === 0) p[0] = 1.5; // out of range: undefined
    yPred.push(p);
  }
  add("log_loss", [yTrue, yPred], multiclassLogLoss(yTrue, yPred));
}

// --- RMSLE and the mean of two columns (nomad): zeros, near-zero, large, and values in (-1, 0)
for (let c = 0; c < 60; c++) {
  const n = 1 + rng.int(200);
  const style = c % 4;
  const gen = () => {
    if (style === 0) return Math.abs(rng.normal()) * 0.3;
    if (style === 1) return rng.pick([0, 1e-12, 1e-300, 3e-8]);
    if (style === 2) return Math.exp(rng.normal() * 6);
    return uniform(-0.999, 2);
  };
  const t1 = Array.from({ length: n }, gen);
  const p1 = t1.map((v) => (rng.next() < 0.1 ? v : Math.max(style === 3 ? -0.99 : 0, v + rng.normal() * 0.05)));
  add("rmsle", [t1, p1], rmsle(t1, p1));
  const t2 = Array.from({ length: n }, gen);
  const p2 = t2.map((v) => Math.abs(v * (1 + rng.normal() * 0.1)));
  add(
    "mean_rmsle",
    [
      [t1, t2],
      [p1, p2],
    ],
    meanColumnRmsle([t1, t2], [p1, p2]),
  );
}

// --- quadratic weighted kappa: labels 1-6, missing labels, out-of-range predictions, undefined cases
for (let c = 0; c < 60; c++) {
  const n = 1 + rng.int(c < 10 ? 4 : 300);
  const yTrue = Array.from({ length: n }, () => 1 + rng.int(c % 3 === 0 ? 3 : 6));
  const yPred = yTrue.map((v) => (c % 5 === 0 ? rng.pick([0, 3, 7, 10]) : Math.max(1, Math.min(6, v + rng.pick([-2, -1, 0, 0, 0, 1, 2])))));
  if (c % 11 === 0) yPred.fill(yTrue[0] as number);
  if (c % 13 === 0) {
    yTrue.fill(4);
    yPred.fill(4);
  }
  add("qwk", [yPred, yTrue], quadraticWeightedKappa(yPred, yTrue));
}

// --- Pearson r: noisy linear, huge offsets, n = 2 and 3, ties, constants (NaN)
for (let c = 0; c < 60; c++) {
  const n = c < 6 ? 2 + (c % 2) : 2 + rng.int(300);
  const style = c % 5;
  const x = Array.from({ length: n }, () => (style === 1 ? 1e8 + rng.normal() : style === 2 ? roundTo(rng.next(), 1) : rng.normal()));
  const y = x.map((v) => (style === 3 ? rng.normal() * 1e-200 : v * uniform(-2, 2) + rng.normal()));
  if (c % 9 === 0) y.fill(0.5);
  add("pearson", [x, y], pearson(x, y));
}

// --- word-level Jaccard: case, punctuation, repeated words, unicode whitespace, empty sides (both empty: NaN)
const vocab = ["Good", "good", "GOOD", "bad", "day", "sad...", "it's", "ok!", "naïve", "ΣΑΣ", "ß", "i", "İstanbul", "-", "😀", "a\u00a0b"];
const spaces = [" ", "  ", "\t", "\n", "\u3000", "\u00a0", "\u2009", "\x1c", "\x85", "\u200b", "\ufeff"];
for (let c = 0; c < 40; c++) {
  const n = 1 + rng.int(60);
  const sentence = () =>
    Array.from({ length: rng.int(6) }, () => rng.pick(vocab))
      .map((w, i) => (i === 0 ? rng.pick(["", " "]) : rng.pick(spaces)) + w)
      .join("");
  const truths = Array.from({ length: n }, sentence);
  const preds = truths.map((t) => (rng.next() < 0.3 ? t : sentence()));
  if (c % 7 === 0) {
    truths[0] = "";
    preds[0] = " ";
  }
  add("jaccard", [preds, truths], meanWordJaccard(preds, truths));
}

const PY = `
import numpy as np
from sklearn.metrics import roc_auc_score, accuracy_score, log_loss, root_mean_squared_log_error, cohen_kappa_score
from scipy.stats import pearsonr

def jaccard(a, b):
    a = set(a.lower().split()); b = set(b.lower().split()); c = a.intersection(b)
    return float(len(c)) / (len(a) + len(b) - len(c))

def run(metric, args):
    try:
        if metric == "roc_auc":
            return float(roc_auc_score(args[0], args[1]))
        if metric == "mean_roc_auc":
            return float(np.mean([roc_auc_score(t, s) for t, s in zip(args[0], args[1])]))
        if metric == "accuracy":
            return float(accuracy_score(args[0], args[1]))
        if metric == "log_loss":
            return float(log_loss(np.array(args[0]), np.array(args[1], dtype=np.float64)))
        if metric == "rmsle":
            return float(root_mean_squared_log_error(args[0], args[1]))
        if metric == "mean_rmsle":
            return float(np.mean([root_mean_squared_log_error(t, p) for t, p in zip(args[0], args[1])]))
        if metric == "qwk":
            return float(cohen_kappa_score(args[0], args[1], weights="quadratic"))
        if metric == "pearson":
            return float(pearsonr(args[0], args[1])[0])
        if metric == "jaccard":
            return float(np.mean([jaccard(p, t) for p, t in zip(args[0], args[1])]))
    except (ValueError, ZeroDivisionError):
        return float("nan")
    raise KeyError(metric)

print(json.dumps(enc([run(c["metric"], c["args"]) for c in DATA])))
`;

test("every metric agrees with scikit-learn / scipy on random, tied and extreme inputs", (t) => {
  const reference = (runPython(PY, cases) as unknown[]).map(decodeNumber);
  assert.equal(reference.length, ours.length);
  const worst = new Map<string, number>();
  const undefinedCases = new Map<string, number>();
  let definedCases = 0;
  for (let i = 0; i < ours.length; i++) {
    const { metric } = cases[i] as Case;
    const a = ours[i] as number;
    const b = reference[i] as number;
    if (Number.isNaN(b) || Number.isNaN(a)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(b), `${metric} case ${i}: ours ${a}, reference ${b}`);
      undefinedCases.set(metric, (undefinedCases.get(metric) ?? 0) + 1);
      continue;
    }
    definedCases++;
    const diff = Math.abs(a - b);
    worst.set(metric, Math.max(worst.get(metric) ?? 0, diff));
    assert.ok(diff <= TOL, `${metric} case ${i}: ours ${a}, reference ${b} (|diff| ${diff})`);
  }
  assert.ok(definedCases > ours.length * 0.8, "most cases must be defined, or the comparison proves little");
  for (const metric of ["roc_auc", "log_loss", "qwk", "pearson", "jaccard"]) {
    assert.ok((undefinedCases.get(metric) ?? 0) > 0, `${metric}: the undefined (NaN) case was exercised`);
  }
  t.diagnostic(
    `${ours.length} cases, ${definedCases} defined; max |ours - reference| by metric: ${[...worst].map(([m, d]) => `${m} ${d.toExponential(2)}`).join(", ")}`,
  );
});

test("the word splitter treats exactly Python's str.isspace() characters as whitespace", () => {
  const out = runPython(`print(json.dumps([c for c in range(0x110000) if chr(c).isspace()]))`, null) as number[];
  const all = new Set(out);
  for (let c = 0; c < 0x3100; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCodePoint(c);
    const splits = lowerWords(`a${ch}b`).length === 2;
    assert.equal(splits, all.has(c), `U+${c.toString(16).padStart(4, "0")}: python isspace=${all.has(c)}`);
  }
  assert.ok(Math.max(...out) < 0x3100, "no Python whitespace beyond the range checked");
});

test("Jaccard of two empty spans is undefined, one empty side scores 0", () => {
  assert.ok(Number.isNaN(wordJaccard("", "  ")));
  assert.equal(wordJaccard("", "word"), 0);
  assert.equal(wordJaccard("Good  day", "good DAY day"), 1);
});
