import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeCsv } from "../../../io/csv.js";
import { Rng } from "../../../util/random.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import { loadLexicon, loadRatedTweets } from "./corpus.js";
import { TWEETS_DESCRIPTION } from "./descriptions.js";
import { distinctIds, hexId, splitIndices } from "./ids.js";
import { selectSpan, sentimentOf } from "./spans.js";

/**
 * mini-tweet-sentiment-extraction: real tweets with human sentiment ratings (shipped in data/, see data/NOTICE.md),
 * their sentiment class cut from the mean rating, and a selected_text drawn by the annotation rule of spans.ts.
 * The seed draws the ids, the split and the annotators' variation in span width.
 */
const ID = "mini-tweet-sentiment-extraction";
export const TWEETS_TEST_FRACTION = 0.2;
/** Tweets in the shipped extract (data/vader-tweets.tsv); checked when generating. */
const N_TWEETS = 4200;
const N_TEST = Math.round(N_TWEETS * TWEETS_TEST_FRACTION);

function generate(dirs: PrepareDirs, seed: number): void {
  const tweets = loadRatedTweets();
  if (tweets.length !== N_TWEETS) throw new Error(`vader-tweets.tsv has ${tweets.length} tweets, expected ${N_TWEETS}`);
  const lexicon = loadLexicon();
  const rng = new Rng(seed);
  const ids = distinctIds(rng.fork(1), tweets.length, hexId);
  const spanRng = rng.fork(3);
  const rows = tweets.map((t, i) => {
    const sentiment = sentimentOf(t.rating);
    return { textID: ids[i] as string, text: t.text, selected: selectSpan(t.text, sentiment, lexicon, spanRng), sentiment };
  });
  const { train, test } = splitIndices(rng.fork(2), rows.length, TWEETS_TEST_FRACTION);
  const at = (i: number) => {
    const r = rows[i];
    if (!r) throw new Error(`no tweet ${i}`);
    return r;
  };

  // Column order as in the original train.csv, which MLE-bench splits into train and (private) test.
  writeCsv(
    join(dirs.publicDir, "train.csv"),
    ["textID", "text", "selected_text", "sentiment"],
    train.map((i) => {
      const r = at(i);
      return [r.textID, r.text, r.selected, r.sentiment];
    }),
  );
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    ["textID", "text", "sentiment"],
    test.map((i) => {
      const r = at(i);
      return [r.textID, r.text, r.sentiment];
    }),
  );
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["textID", "selected_text"],
    test.map((i) => [at(i).textID, ""]),
  );
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    ["textID", "text", "selected_text", "sentiment"],
    test.map((i) => {
      const r = at(i);
      return [r.textID, r.text, r.selected, r.sentiment];
    }),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), TWEETS_DESCRIPTION);
}

const columns: ColumnSpec[] = [
  { name: "textID", role: "id", files: ["train.csv", "test.csv", "sample_submission.csv"] },
  { name: "text", role: "text", files: ["train.csv", "test.csv"] },
  { name: "sentiment", role: "categorical", files: ["train.csv", "test.csv"] },
  { name: "selected_text", role: "target", files: ["train.csv"] },
];

export const tweets: BuiltinTask = {
  version: 1,
  generate,
  spec: {
    id: ID,
    competition: "tweet-sentiment-extraction",
    source: "builtin",
    title: "Mini Tweet Sentiment Extraction",
    description: TWEETS_DESCRIPTION,
    metric: "word_jaccard",
    lowerIsBetter: false,
    idColumn: "textID",
    submissionColumns: ["textID", "selected_text"],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: {
      trainFile: "train.csv",
      testFile: "test.csv",
      columns,
      targetKind: "span",
      trainRows: N_TWEETS - N_TEST,
      testRows: N_TEST,
    },
  },
};
