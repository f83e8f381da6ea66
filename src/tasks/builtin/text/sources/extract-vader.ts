/**
 * Builds data/vader-tweets.tsv and data/vader-lexicon.tsv, the text behind mini-tweet-sentiment-extraction. Run
 * once by a maintainer, never at prepare time:
 *
 *   pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 && tar xzf vaderSentiment-3.3.2.tar.gz
 *   (cd vaderSentiment-3.3.2/additional_resources && tar xzf hutto_ICWSM_2014.tar.gz)
 *   node --import tsx src/tasks/builtin/text/sources/extract-vader.ts vaderSentiment-3.3.2
 *
 * The input is the PyPI source distribution of vaderSentiment 3.3.2 (MIT, C.J. Hutto): 4,200 real tweets with the
 * mean of ten human sentiment ratings each (-4 .. 4), and the VADER lexicon of human-rated word valences. We keep
 * the tweets verbatim and, of the lexicon, only the entries that some tweet uses (lower-cased keys).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lexiconKeys } from "../spans.js";

const root = process.argv[2];
if (!root) throw new Error("usage: extract-vader.ts <unpacked vaderSentiment-3.3.2 dir>");
const outDir = process.argv[3] ?? join(import.meta.dirname, "..", "data");

const tweetLines = readFileSync(join(root, "additional_resources", "hutto_ICWSM_2014", "tweets_GroundTruth.txt"), "utf8")
  .split(/\r?\n/)
  .filter((l) => l.trim().length > 0);
const tweets = tweetLines.map((line) => {
  const [id, rating, ...rest] = line.split("\t");
  const text = rest.join(" ").replace(/\s+$/, "");
  if (!id || !rating || !text) throw new Error(`bad tweet line: ${line}`);
  return { id: Number(id), rating: Number(rating), text };
});

const used = new Set<string>();
for (const t of tweets) for (const w of t.text.split(/\s+/)) for (const k of lexiconKeys(w)) used.add(k);

const lexicon = new Map<string, number>();
for (const line of readFileSync(join(root, "vaderSentiment", "vader_lexicon.txt"), "utf8").split(/\r?\n/)) {
  const [token, mean] = line.split("\t");
  if (!token || mean === undefined) continue;
  const key = token.toLowerCase();
  if (used.has(key) && !lexicon.has(key)) lexicon.set(key, Number(mean));
}

writeFileSync(join(outDir, "vader-tweets.tsv"), `id\trating\ttext\n${tweets.map((t) => `${t.id}\t${t.rating}\t${t.text}`).join("\n")}\n`);
const lex = [...lexicon.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
writeFileSync(join(outDir, "vader-lexicon.tsv"), `token\tvalence\n${lex.map(([k, v]) => `${k}\t${v}`).join("\n")}\n`);
console.log(`${tweets.length} tweets, ${lex.length} lexicon entries -> ${outDir}`);
