/**
 * Sentence segmentation for 19th-century prose as Project Gutenberg prints it: hard-wrapped lines, blank lines
 * between paragraphs, typographic quotes and dashes, `_italics_`. Used once, when the shipped extract is built
 * (see sources/extract-bronte.ts), and kept as a module so the rules are tested rather than buried in a script.
 */

/** Abbreviations after which a full stop does not end a sentence. */
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "messrs",
  "dr",
  "st",
  "mt",
  "esq",
  "rev",
  "capt",
  "col",
  "gen",
  "lieut",
  "sir",
  "no",
  "vol",
  "viz",
  "ch",
]);

/** Plain ASCII punctuation, as the original competition's text uses, with italics markers dropped. */
export function normaliseProse(text: string): string {
  return text
    .replace(/[\u201c\u201d\u201e]/g, '"')
    .replace(/[\u2018\u2019\u201a]/g, "'")
    .replace(/\u2014+/g, "--")
    .replace(/\u2013/g, "-")
    .replace(/\u2026/g, "...")
    .replace(/_/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Paragraphs are separated by blank lines; a heading is a short line without lower-case letters. */
export function paragraphs(raw: string): string[] {
  return raw
    .replace(/\r+\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0 && /[a-z]/.test(p));
}

function endsWithAbbreviation(chunk: string): boolean {
  const m = /([A-Za-z]+)\.["')]*$/.exec(chunk);
  if (!m) return false;
  const word = (m[1] as string).toLowerCase();
  // Single capitals ("J. Smith") are initials, not sentence ends.
  return ABBREVIATIONS.has(word) || word.length === 1;
}

/**
 * Split one normalised paragraph into sentences: a sentence ends at `.`, `!` or `?` (with any closing quotes or
 * brackets) followed by a space and a capital letter or opening quote, unless the word before the stop is an
 * abbreviation or an initial.
 */
export function splitSentences(paragraph: string): string[] {
  const text = normaliseProse(paragraph);
  const out: string[] = [];
  const boundary = /[.!?]+["')]*\s+(?=["'(]*[A-Z])/g;
  let start = 0;
  for (let m = boundary.exec(text); m !== null; m = boundary.exec(text)) {
    const end = m.index + m[0].trimEnd().length;
    const chunk = text.slice(start, end);
    if (endsWithAbbreviation(chunk)) continue;
    out.push(chunk);
    start = m.index + m[0].length;
  }
  out.push(text.slice(start));
  // Quotes of a speech that runs over several sentences stay unmatched, as in the original competition's text.
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

export function wordCount(s: string): number {
  return s.split(/\s+/).filter((w) => /[A-Za-z]/.test(w)).length;
}

/** Every sentence of a chapter with at least `minWords` words, in reading order. */
export function chapterSentences(raw: string, minWords = 4): string[] {
  return paragraphs(raw)
    .flatMap(splitSentences)
    .filter((s) => wordCount(s) >= minWords);
}
