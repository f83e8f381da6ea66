import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../../../src/util/random.js";
import { lexiconKeys, polarity, selectSpan, sentimentOf, tokenize, valence } from "../../../src/tasks/builtin/text/spans.js";

const LEX = new Map<string, number>([
  ["love", 3.2],
  ["good", 1.9],
  ["hate", -2.7],
  ["rain", -0.2],
  [":)", 2.0],
  ["tired", -1.9],
]);

test("tokens carry offsets into the original text", () => {
  const text = "  so   happy :) ";
  for (const w of tokenize(text)) assert.equal(text.slice(w.start, w.end), w.text);
  assert.deepEqual(
    tokenize(text).map((w) => w.text),
    ["so", "happy", ":)"],
  );
});

test("lexicon lookup tries the token as written, then without punctuation or #", () => {
  assert.deepEqual(lexiconKeys("#Love!!"), ["#love!!", "love"]);
  assert.deepEqual(lexiconKeys(":)"), [":)"]);
  assert.equal(valence("LOVE.", LEX), 3.2);
  assert.equal(valence(":)", LEX), 2.0);
  assert.equal(valence("table", LEX), 0);
});

test("a preceding negator flips and damps a word's valence", () => {
  const pol = polarity(tokenize("this is not good but I love it"), LEX);
  assert.ok((pol[3] as number) < 0, `not good -> ${pol[3]}`);
  assert.equal(pol[6], 3.2);
  assert.ok((polarity(tokenize("I don't love it"), LEX)[2] as number) < 0);
});

test("sentiment classes follow the documented rating cut-offs", () => {
  assert.equal(sentimentOf(2.5), "positive");
  assert.equal(sentimentOf(1.25), "neutral");
  assert.equal(sentimentOf(0), "neutral");
  assert.equal(sentimentOf(-0.5), "neutral");
  assert.equal(sentimentOf(-0.51), "negative");
});

test("spans are non-empty runs of whole words of the tweet, for every sentiment and many seeds", () => {
  const tweets = [
    "I love love love this song so much :)",
    "Ugh, I hate the rain and I'm tired.",
    "Meeting at 5 at the usual place",
    "hate",
    "  padded   text here  ",
  ];
  for (let seed = 0; seed < 300; seed++) {
    const rng = new Rng(seed);
    for (const text of tweets) {
      for (const s of ["positive", "negative", "neutral"] as const) {
        const span = selectSpan(text, s, LEX, rng);
        assert.ok(span.length > 0 && span.trim() === span, JSON.stringify(span));
        const words = text.split(/\s+/).filter(Boolean);
        const sel = span.split(/\s+/);
        const at = words.findIndex((_, i) => sel.every((w, k) => words[i + k] === w));
        assert.ok(at >= 0, `${JSON.stringify(span)} is not a run of words of ${JSON.stringify(text)}`);
      }
    }
  }
});

test("positive and negative spans centre on the strongest word of that sign; neutral tweets stay whole", () => {
  const text = "Monday morning meeting again but I really love my new desk at work";
  let withLove = 0;
  let short = 0;
  let neutralWhole = 0;
  const n = 400;
  for (let seed = 0; seed < n; seed++) {
    const pos = selectSpan(text, "positive", LEX, new Rng(seed));
    if (pos.includes("love")) withLove++;
    if (pos.split(" ").length <= 5) short++;
    if (selectSpan(text, "neutral", LEX, new Rng(seed)) === text) neutralWhole++;
  }
  assert.ok(withLove / n > 0.9, `love in ${withLove}/${n}`);
  assert.ok(short / n > 0.8, `short spans ${short}/${n}`);
  assert.ok(neutralWhole / n > 0.85, `neutral whole ${neutralWhole}/${n}`);
  const neg = selectSpan("This is not good at all and the whole trip was long", "negative", LEX, new Rng(1));
  assert.match(neg, /not good/);
});

test("the same rng seed gives the same span", () => {
  const text = "Ugh, I hate the rain and I'm tired of it all today";
  assert.equal(selectSpan(text, "negative", LEX, new Rng(42)), selectSpan(text, "negative", LEX, new Rng(42)));
});
