import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tweets } from "../../../src/tasks/builtin/text/tweets.js";
import { BUILTIN_SEED } from "../../../src/tasks/builtin/index.js";
import { TaskSpec } from "../../../src/core/task.js";
import { column, digest, prepare, python, runReference, table, wordsOf, type Prepared } from "./helpers.js";

let shared: Prepared | undefined;
async function prepared(): Promise<Prepared> {
  shared ??= await prepare(tweets, BUILTIN_SEED);
  return shared;
}

test("the spec is valid and names the real competition's metric, columns and files", () => {
  const spec = TaskSpec.parse(tweets.spec);
  assert.equal(spec.id, "mini-tweet-sentiment-extraction");
  assert.equal(spec.competition, "tweet-sentiment-extraction");
  assert.equal(spec.metric, "word_jaccard");
  assert.equal(spec.lowerIsBetter, false);
  assert.deepEqual(spec.submissionColumns, ["textID", "selected_text"]);
  assert.equal(spec.schema?.targetKind, "span");
});

test("same seed gives byte-identical files; another seed changes ids, split and spans", async () => {
  const a = await prepared();
  const b = await prepare(tweets, BUILTIN_SEED);
  assert.deepEqual(digest(a), digest(b));
  const c = await prepare(tweets, BUILTIN_SEED + 1);
  assert.notEqual(digest(c)["public/train.csv"], digest(a)["public/train.csv"]);
});

test("files and columns match the MLE-bench layout of tweet-sentiment-extraction", async () => {
  const p = await prepared();
  for (const f of tweets.spec.publicFiles) assert.ok(existsSync(join(p.publicDir, f)), f);
  const train = table(p.publicDir, "train.csv");
  const testT = table(p.publicDir, "test.csv");
  const sample = table(p.publicDir, "sample_submission.csv");
  const answers = table(p.privateDir, "test.csv");
  assert.deepEqual(train.header, ["textID", "text", "selected_text", "sentiment"]);
  assert.deepEqual(testT.header, ["textID", "text", "sentiment"]);
  assert.deepEqual(sample.header, ["textID", "selected_text"]);
  assert.deepEqual(answers.header, ["textID", "text", "selected_text", "sentiment"]);
  assert.equal(train.rows.length, tweets.spec.schema?.trainRows);
  assert.equal(testT.rows.length, tweets.spec.schema?.testRows);

  const ids = [...column(train, "textID"), ...column(testT, "textID")];
  assert.ok(ids.every((id) => /^[0-9a-f]{10}$/.test(id)));
  assert.equal(new Set(ids).size, ids.length, "textIDs are unique");
  assert.deepEqual(column(sample, "textID"), column(testT, "textID"));
  assert.deepEqual(column(answers, "textID"), column(testT, "textID"));
  assert.deepEqual(column(answers, "text"), column(testT, "text"));
  assert.deepEqual(column(answers, "sentiment"), column(testT, "sentiment"));
  assert.ok(
    column(sample, "selected_text").every((s) => s === ""),
    "the sample submission is empty, as MLE-bench writes it",
  );
  assert.match(readFileSync(join(p.publicDir, "description.md"), "utf8"), /textID,selected_text/);
});

test("spans look like the original annotations: whole tweet when neutral, a short phrase otherwise", async () => {
  const p = await prepared();
  const train = table(p.publicDir, "train.csv");
  const answers = table(p.privateDir, "test.csv");
  const rows = [...train.rows, ...answers.rows].map(([, text, sel, s]) => ({ text: text as string, sel: sel as string, s: s as string }));
  const by = (s: string) => rows.filter((r) => r.s === s);
  for (const s of ["positive", "negative", "neutral"]) {
    const share = by(s).length / rows.length;
    assert.ok(share > 0.2 && share < 0.45, `${s}: ${share}`);
  }
  for (const r of rows) {
    assert.ok(r.sel.length > 0 && r.text.includes(r.sel), `${JSON.stringify(r.sel)} not in ${JSON.stringify(r.text)}`);
  }
  const whole = (rs: typeof rows) => rs.filter((r) => r.sel === r.text.trim()).length / rs.length;
  const lengthRatio = (rs: typeof rows) =>
    rs.reduce((a, r) => a + r.sel.split(/\s+/).length / r.text.trim().split(/\s+/).length, 0) / rs.length;
  assert.ok(whole(by("neutral")) > 0.85, `neutral whole ${whole(by("neutral"))}`);
  for (const s of ["positive", "negative"]) {
    assert.ok(whole(by(s)) < 0.25, `${s} whole ${whole(by(s))}`);
    assert.ok(lengthRatio(by(s)) < 0.45, `${s} span/tweet length ${lengthRatio(by(s))}`);
  }
});

test("the tweets read like tweets: short, mentions and links, a large informal vocabulary", async () => {
  const p = await prepared();
  const texts = column(table(p.publicDir, "train.csv"), "text");
  const lengths = texts.map((t) => t.split(/\s+/).filter(Boolean).length);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  assert.ok(mean > 6 && mean < 25 && Math.max(...texts.map((t) => t.length)) <= 200, `mean words ${mean}`);
  assert.ok(texts.filter((t) => t.includes("@")).length / texts.length > 0.2);
  assert.ok(texts.filter((t) => /http/.test(t)).length / texts.length > 0.05);
  const vocab = new Set(texts.flatMap(wordsOf));
  assert.ok(vocab.size > 4000, `vocabulary ${vocab.size}`);
  for (const w of ["the", "i", "love", "lol", "so"]) assert.ok(vocab.has(w), w);
});

const SCORE = String.raw`
import sys, numpy as np, pandas as pd
def jaccard(a, b):
    a, b = set(a.lower().split()), set(b.lower().split())
    c = a & b
    return len(c) / (len(a) + len(b) - len(c))
answers = pd.read_csv(sys.argv[1]).sort_values("textID")
for path in sys.argv[2:]:
    sub = pd.read_csv(path).sort_values("textID")
    assert (sub["textID"].to_numpy() == answers["textID"].to_numpy()).all()
    pred = sub["selected_text"].fillna("").astype(str)
    print(path, np.mean([jaccard(p, t) for p, t in zip(pred, answers["selected_text"].fillna("").astype(str))]))
`;

test("learnable: learned word weights beat selecting the whole tweet by a wide margin", async () => {
  const p = await prepared();
  const base = runReference(tweets.spec.id, "baseline", p);
  const medium = runReference(tweets.spec.id, "medium", p);
  assert.match(medium.stdout, /validation jaccard: 0\.\d+/);
  const out = python(SCORE, [
    join(p.privateDir, "test.csv"),
    join(p.publicDir, "sample_submission.csv"),
    join(base.submissionDir, "submission.csv"),
    join(medium.submissionDir, "submission.csv"),
  ]);
  const [empty, whole, learned] = out
    .trim()
    .split("\n")
    .map((l) => Number(l.split(" ").at(-1))) as [number, number, number];
  assert.equal(empty, 0);
  assert.ok(whole > 0.4 && whole < 0.7, `whole tweet ${whole}`);
  assert.ok(learned > whole + 0.08, `learned ${learned} vs whole tweet ${whole}`);
  assert.ok(learned < 0.9, `learned ${learned}: spans should not be predictable exactly`);
});
