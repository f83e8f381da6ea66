import { test } from "node:test";
import assert from "node:assert/strict";
import { chapterSentences, normaliseProse, paragraphs, splitSentences, wordCount } from "../../../src/tasks/builtin/text/sentences.js";

test("typographic punctuation becomes ASCII and italics markers go", () => {
  assert.equal(normaliseProse("\u201cIt\u2019s _you_\u2014at last\u2026\u201d"), '"It\'s you--at last..."');
  assert.equal(normaliseProse("  hard-wrapped\r\n   line  "), "hard-wrapped line");
});

test("paragraphs split on blank lines (any line ending), and headings without lower case are dropped", () => {
  const raw = "CHAPTER I\r\r\n\r\r\nFirst line\r\r\nstill first.\r\r\n\r\r\nSecond one.\n\nTHE END\n";
  assert.deepEqual(paragraphs(raw), ["First line\nstill first.", "Second one."]);
});

test("sentences end at . ! ? before a capital, not after titles or initials", () => {
  assert.deepEqual(splitSentences("Mr. Rochester came in. He bowed! Did Mrs. Fairfax see J. Eyre? Yes."), [
    "Mr. Rochester came in.",
    "He bowed!",
    "Did Mrs. Fairfax see J. Eyre?",
    "Yes.",
  ]);
});

test("closing quotes stay with their sentence; a lower-case continuation does not split", () => {
  assert.deepEqual(splitSentences("\u201cCome in!\u201d he said. \u201cWhy? it is late.\u201d She went."), [
    '"Come in!" he said.',
    '"Why? it is late."',
    "She went.",
  ]);
});

test("chapterSentences drops very short fragments and keeps reading order", () => {
  const raw = "A nod.\n\nI went up the stairs slowly. It was dark in the hall and cold.\n";
  assert.deepEqual(chapterSentences(raw), ["I went up the stairs slowly.", "It was dark in the hall and cold."]);
  assert.equal(wordCount('"Oh -- no," she said.'), 4);
});
