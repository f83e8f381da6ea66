import type { Rng } from "../../../util/random.js";

/**
 * The annotation rule of mini-tweet-sentiment-extraction. The tweets and their sentiment are real (human ratings);
 * the span that "supports the sentiment" is chosen by a documented stand-in for the human annotators of the
 * original competition, which behaves the way their selections do:
 * - neutral: almost always the whole tweet;
 * - positive / negative: a short run of words around the word that carries the sentiment most strongly (by the
 *   human-rated VADER lexicon, with negation flipping it), together with adjacent modifiers ("so", "not") and
 *   same-signed words, widened by a word or two at random the way different annotators disagree; very short
 *   tweets, and tweets whose sentiment no word carries, are usually selected whole.
 * The lexicon is not given to the agent: a program has to learn which words carry sentiment from train.csv.
 */

export type Sentiment = "positive" | "negative" | "neutral";
export type Lexicon = ReadonlyMap<string, number>;

export interface Word {
  text: string;
  start: number;
  end: number;
}

/** Whitespace tokens with character offsets, so a span is an exact substring of the tweet. */
export function tokenize(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(/\S+/g)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** Keys under which a token may appear in the lexicon: as written (emoticons), then stripped of punctuation and '#'. */
export function lexiconKeys(token: string): string[] {
  const raw = token.toLowerCase();
  const bare = raw.replace(/^[^a-z0-9']+|[^a-z0-9']+$/g, "").replace(/^'+|'+$/g, "");
  return bare && bare !== raw ? [raw, bare] : raw ? [raw] : [];
}

export function valence(token: string, lexicon: Lexicon): number {
  for (const k of lexiconKeys(token)) {
    const v = lexicon.get(k);
    if (v !== undefined) return v;
  }
  return 0;
}

const NEGATORS = new Set([
  "not",
  "no",
  "never",
  "nothing",
  "nobody",
  "none",
  "neither",
  "nor",
  "without",
  "cannot",
  "dont",
  "cant",
  "wont",
  "isnt",
  "aint",
  "didnt",
  "doesnt",
  "wasnt",
]);
const INTENSIFIERS = new Set([
  "so",
  "soo",
  "sooo",
  "soooo",
  "very",
  "really",
  "too",
  "such",
  "most",
  "more",
  "super",
  "totally",
  "absolutely",
  "completely",
  "extremely",
  "incredibly",
  "pretty",
  "quite",
  "truly",
  "just",
  "bloody",
  "freaking",
  "damn",
  "hella",
]);

function bare(token: string): string {
  return token
    .toLowerCase()
    .replace(/[^a-z']/g, "")
    .replace(/'/g, "");
}

function isNegator(token: string): boolean {
  const t = token.toLowerCase().replace(/[^a-z']/g, "");
  return NEGATORS.has(t.replace(/'/g, "")) || t.endsWith("n't");
}

export function isModifier(token: string): boolean {
  return isNegator(token) || INTENSIFIERS.has(bare(token));
}

/** Lexicon valence per word, flipped (and damped, as VADER does) when a negator precedes it within three words. */
export function polarity(words: readonly Word[], lexicon: Lexicon): number[] {
  return words.map((w, i) => {
    const v = valence(w.text, lexicon);
    if (v === 0) return 0;
    const negated = words.slice(Math.max(0, i - 3), i).some((p) => isNegator(p.text));
    return negated ? -0.74 * v : v;
  });
}

/** Sentiment class of a tweet from its mean human rating on VADER's -4..4 scale. */
export function sentimentOf(rating: number): Sentiment {
  if (rating > 1.25) return "positive";
  if (rating < -0.5) return "negative";
  return "neutral";
}

function geometric(rng: Rng, stop: number, cap: number): number {
  let k = 0;
  while (k < cap && rng.next() > stop) k++;
  return k;
}

const isPunctuation = (token: string) => !/[A-Za-z0-9]/.test(token);

/** The selected_text of one tweet: an exact substring of `text`, whole words only, never empty. */
export function selectSpan(text: string, sentiment: Sentiment, lexicon: Lexicon, rng: Rng): string {
  const words = tokenize(text);
  const n = words.length;
  if (n === 0) return text;
  const slice = (lo: number, hi: number) => text.slice((words[lo] as Word).start, (words[hi] as Word).end);
  const whole = slice(0, n - 1);

  if (sentiment === "neutral") {
    // Now and then an annotator leaves out a leading mention or a trailing fragment.
    if (n >= 5 && rng.next() < 0.08)
      return rng.next() < 0.5 ? slice(1 + geometric(rng, 0.6, 1), n - 1) : slice(0, n - 2 - geometric(rng, 0.6, 1));
    return whole;
  }

  const sign = sentiment === "positive" ? 1 : -1;
  const pol = polarity(words, lexicon).map((v) => sign * v);
  if (n <= 3 && rng.next() < 0.7) return whole;
  if (rng.next() < 0.06) return whole;
  let anchor = 0;
  for (let i = 1; i < n; i++) if ((pol[i] as number) > (pol[anchor] as number)) anchor = i;
  if ((pol[anchor] as number) <= 0) return rng.next() < 0.8 ? whole : slice(Math.min(n - 1, geometric(rng, 0.5, 3)), n - 1);

  let lo = anchor;
  let hi = anchor;
  while (lo > 0 && anchor - lo < 3 && (isModifier((words[lo - 1] as Word).text) || (pol[lo - 1] as number) > 0)) lo--;
  while (hi < n - 1 && hi - anchor < 3 && ((pol[hi + 1] as number) > 0 || isPunctuation((words[hi + 1] as Word).text))) hi++;
  // A second sentiment cue close by is often taken in too.
  if (rng.next() < 0.25) {
    for (let j = Math.max(0, lo - 4); j <= Math.min(n - 1, hi + 4); j++) {
      if ((pol[j] as number) >= 1) {
        lo = Math.min(lo, j);
        hi = Math.max(hi, j);
      }
    }
  }
  lo = Math.max(0, lo - geometric(rng, 0.75, 1));
  hi = Math.min(n - 1, hi + geometric(rng, 0.7, 2));
  return slice(lo, hi);
}
