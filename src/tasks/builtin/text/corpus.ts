import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../paths.js";
import type { Lexicon } from "./spans.js";

/**
 * The text shipped with the repo for the built-in text tasks (provenance and licences: data/NOTICE.md). Read from
 * the source tree so the same files serve tsx runs and builds.
 */
export function textDataDir(): string {
  return join(repoRoot(), "src", "tasks", "builtin", "text", "data");
}

/** Rows of a shipped TSV after its header, each checked to have exactly `columns` cells. */
function readTsv(name: string, columns: readonly string[]): string[][] {
  const path = join(textDataDir(), name);
  const [header, ...lines] = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0);
  if (header !== columns.join("\t")) throw new Error(`${path}: expected header ${columns.join(",")}, found ${header}`);
  return lines.map((line, i) => {
    const cells = line.split("\t");
    if (cells.length !== columns.length || cells.some((c) => c.length === 0))
      throw new Error(`${path}:${i + 2}: expected ${columns.length} non-empty cells`);
    return cells;
  });
}

export type BronteAuthor = "Anne" | "Charlotte" | "Emily";
export interface AuthorSentence {
  author: BronteAuthor;
  book: string;
  text: string;
}

export function loadBronteSentences(): AuthorSentence[] {
  return readTsv("bronte-sentences.tsv", ["author", "book", "sentence"]).map(([author, book, text]) => {
    if (author !== "Anne" && author !== "Charlotte" && author !== "Emily")
      throw new Error(`bronte-sentences.tsv: unknown author ${author}`);
    return { author, book: book as string, text: text as string };
  });
}

export interface RatedTweet {
  /** Row number in the source data, kept for provenance. */
  sourceId: number;
  /** Mean of ten human ratings, -4 (very negative) .. 4 (very positive). */
  rating: number;
  text: string;
}

export function loadRatedTweets(): RatedTweet[] {
  return readTsv("vader-tweets.tsv", ["id", "rating", "text"]).map(([id, rating, text]) => {
    const r = Number(rating);
    if (!Number.isFinite(r) || r < -4 || r > 4) throw new Error(`vader-tweets.tsv: bad rating ${rating} for tweet ${id}`);
    return { sourceId: Number(id), rating: r, text: text as string };
  });
}

export function loadLexicon(): Lexicon {
  return new Map(readTsv("vader-lexicon.tsv", ["token", "valence"]).map(([token, v]) => [token as string, Number(v)]));
}
