import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { spooky } from "../../../src/tasks/builtin/text/spooky.js";
import { BUILTIN_SEED } from "../../../src/tasks/builtin/index.js";
import { TaskSpec } from "../../../src/core/task.js";
import { column, digest, prepare, python, runReference, table, wordsOf, type Prepared } from "./helpers.js";

const CLASSES = ["EAP", "HPL", "MWS"];
let shared: Prepared | undefined;
async function prepared(): Promise<Prepared> {
  shared ??= await prepare(spooky, BUILTIN_SEED);
  return shared;
}

test("the spec is valid and names the real competition's metric, columns and files", () => {
  const spec = TaskSpec.parse(spooky.spec);
  assert.equal(spec.id, "mini-spooky-author-identification");
  assert.equal(spec.competition, "spooky-author-identification");
  assert.equal(spec.metric, "multiclass_log_loss");
  assert.equal(spec.lowerIsBetter, true);
  assert.deepEqual(spec.submissionColumns, ["id", "EAP", "HPL", "MWS"]);
  assert.deepEqual(spec.schema?.classes, CLASSES);
});

test("same seed gives byte-identical files; another seed reshuffles them", async () => {
  const a = await prepared();
  const b = await prepare(spooky, BUILTIN_SEED);
  assert.deepEqual(digest(a), digest(b));
  const c = await prepare(spooky, BUILTIN_SEED + 1);
  assert.notEqual(digest(c)["public/train.csv"], digest(a)["public/train.csv"]);
  assert.equal(digest(c)["public/description.md"], digest(a)["public/description.md"]);
});

test("files and columns match the MLE-bench layout of spooky-author-identification", async () => {
  const p = await prepared();
  for (const f of spooky.spec.publicFiles) assert.ok(existsSync(join(p.publicDir, f)), f);
  assert.ok(existsSync(join(p.privateDir, spooky.spec.answersFile)));
  const train = table(p.publicDir, "train.csv");
  const testT = table(p.publicDir, "test.csv");
  const sample = table(p.publicDir, "sample_submission.csv");
  const answers = table(p.privateDir, "test.csv");
  assert.deepEqual(train.header, ["id", "text", "author"]);
  assert.deepEqual(testT.header, ["id", "text"]);
  assert.deepEqual(sample.header, ["id", ...CLASSES]);
  assert.deepEqual(answers.header, ["id", ...CLASSES]);
  assert.equal(train.rows.length, spooky.spec.schema?.trainRows);
  assert.equal(testT.rows.length, spooky.spec.schema?.testRows);

  const ids = [...column(train, "id"), ...column(testT, "id")];
  assert.ok(ids.every((id) => /^id\d{5}$/.test(id)));
  assert.equal(new Set(ids).size, ids.length, "ids are unique");
  assert.deepEqual(column(sample, "id"), column(testT, "id"));
  assert.deepEqual(column(answers, "id"), column(testT, "id"));

  assert.ok(column(train, "author").every((a) => CLASSES.includes(a)));
  for (const row of answers.rows) assert.deepEqual(row.slice(1).map(Number).sort(), [0, 0, 1]);
  for (const row of sample.rows)
    assert.ok(
      Math.abs(
        row
          .slice(1)
          .map(Number)
          .reduce((x, y) => x + y, 0) - 1,
      ) < 1e-6,
    );
  // Class balance close to the original's (40/29/31): no class below a fifth.
  for (const c of CLASSES) {
    const share = column(train, "author").filter((a) => a === c).length / train.rows.length;
    assert.ok(share > 0.2 && share < 0.5, `${c}: ${share}`);
  }
  assert.match(readFileSync(join(p.publicDir, "description.md"), "utf8"), /id,EAP,HPL,MWS/);
});

test("the text reads like English prose: sentence lengths, a large vocabulary, Zipf-like function words", async () => {
  const p = await prepared();
  const texts = column(table(p.publicDir, "train.csv"), "text");
  const lengths = texts.map((t) => wordsOf(t).length);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(mean > 12 && mean < 40, `mean sentence length ${mean}`);
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of wordsOf(t)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  assert.ok(counts.size > 5000, `vocabulary ${counts.size}`);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const top10 = ranked.slice(0, 10).map(([w]) => w);
  const functionWords = [
    "the",
    "and",
    "i",
    "to",
    "of",
    "a",
    "in",
    "was",
    "he",
    "you",
    "that",
    "it",
    "my",
    "her",
    "not",
    "she",
    "me",
    "his",
  ];
  assert.ok(top10.filter((w) => functionWords.includes(w)).length >= 8, `top words ${top10.join(" ")}`);
  // Zipf: the commonest word is a few percent of all tokens and about ten times the 20th-ranked one; half the vocabulary occurs once.
  const f1 = (ranked[0]?.[1] ?? 0) / total;
  assert.ok(f1 > 0.03 && f1 < 0.08, `top word share ${f1}`);
  const ratio = (ranked[0]?.[1] ?? 0) / (ranked[19]?.[1] ?? 1);
  assert.ok(ratio > 4 && ratio < 30, `rank-1 / rank-20 frequency ${ratio}`);
  const hapax = ranked.filter(([, c]) => c === 1).length / counts.size;
  assert.ok(hapax > 0.35 && hapax < 0.7, `hapax share ${hapax}`);
  // Sentences start with a capital (or an opening quote) and end with punctuation.
  const starts = texts.filter((t) => /^["'(]*[A-Z0-9]/.test(t)).length / texts.length;
  const ends = texts.filter((t) => /[.!?;:,"')-]$/.test(t)).length / texts.length;
  assert.ok(starts > 0.95 && ends > 0.95, `starts ${starts}, ends ${ends}`);
});

const SCORE = String.raw`
import sys, numpy as np, pandas as pd
from sklearn.metrics import log_loss
answers = pd.read_csv(sys.argv[1]).sort_values("id")
train = pd.read_csv(sys.argv[2])
assert not train["text"].isna().any()
classes = ["EAP", "HPL", "MWS"]
eps = np.finfo(float).eps
prior = train["author"].value_counts(normalize=True)[classes].to_numpy()
print("constant", log_loss(answers[classes].to_numpy(), np.tile(prior, (len(answers), 1))))
for path in sys.argv[3:]:
    sub = pd.read_csv(path).sort_values("id")
    assert list(sub.columns) == ["id"] + classes and (sub["id"].to_numpy() == answers["id"].to_numpy()).all()
    print(path, log_loss(answers[classes].to_numpy(), np.clip(sub[classes].to_numpy(), eps, 1 - eps)))
`;

test("learnable: the TF-IDF baseline beats the class prior, and word+char TF-IDF beats the baseline", async () => {
  const p = await prepared();
  const base = runReference(spooky.spec.id, "baseline", p);
  const medium = runReference(spooky.spec.id, "medium", p);
  assert.match(base.stdout, /validation log_loss: \d\.\d+/);
  const out = python(SCORE, [
    join(p.privateDir, "test.csv"),
    join(p.publicDir, "train.csv"),
    join(base.submissionDir, "submission.csv"),
    join(medium.submissionDir, "submission.csv"),
  ]);
  const scores = out
    .trim()
    .split("\n")
    .map((l) => Number(l.split(" ").at(-1)));
  const [constant, baseline, med] = scores as [number, number, number];
  assert.ok(constant > 1.0, `prior log loss ${constant}`);
  assert.ok(baseline < constant - 0.15, `baseline ${baseline} vs prior ${constant}`);
  assert.ok(med < baseline - 0.05, `medium ${med} vs baseline ${baseline}`);
  // Not trivial either: a strong model has room left (the committed strong reference scores about 0.6).
  assert.ok(med > 0.4, `medium ${med}`);
});
