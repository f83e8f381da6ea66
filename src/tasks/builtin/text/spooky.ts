import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeCsv } from "../../../io/csv.js";
import { Rng } from "../../../util/random.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import { loadBronteSentences, type BronteAuthor } from "./corpus.js";
import { SPOOKY_DESCRIPTION } from "./descriptions.js";
import { distinctIds, splitIndices, spookyId } from "./ids.js";

/**
 * mini-spooky-author-identification: the original's three-author sentence classification with real public-domain
 * prose. The sentences are those of four Brontë novels shipped in data/ (see data/NOTICE.md); each author is given
 * one of the original class codes. The seed draws the ids and the train/test split; the text never changes.
 */
const ID = "mini-spooky-author-identification";
export const SPOOKY_CLASSES = ["EAP", "HPL", "MWS"] as const;
/** Ordered by size so the class balance resembles the original's (EAP largest). */
export const SPOOKY_AUTHOR_CODES: Record<BronteAuthor, (typeof SPOOKY_CLASSES)[number]> = { Charlotte: "EAP", Emily: "HPL", Anne: "MWS" };
export const SPOOKY_TEST_FRACTION = 0.2;
/** Sentences in the shipped extract (data/bronte-sentences.tsv); checked when generating. */
const N_SENTENCES = 4962;
const N_TEST = Math.round(N_SENTENCES * SPOOKY_TEST_FRACTION);

function generate(dirs: PrepareDirs, seed: number): void {
  const sentences = loadBronteSentences();
  if (sentences.length !== N_SENTENCES) throw new Error(`bronte-sentences.tsv has ${sentences.length} sentences, expected ${N_SENTENCES}`);
  const rng = new Rng(seed);
  const ids = distinctIds(rng.fork(1), sentences.length, spookyId);
  const { train, test } = splitIndices(rng.fork(2), sentences.length, SPOOKY_TEST_FRACTION);
  const row = (i: number) => {
    const s = sentences[i];
    if (!s) throw new Error(`no sentence ${i}`);
    return { id: ids[i] as string, text: s.text, author: SPOOKY_AUTHOR_CODES[s.author] };
  };

  writeCsv(
    join(dirs.publicDir, "train.csv"),
    ["id", "text", "author"],
    train.map((i) => {
      const r = row(i);
      return [r.id, r.text, r.author];
    }),
  );
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    ["id", "text"],
    test.map((i) => {
      const r = row(i);
      return [r.id, r.text];
    }),
  );
  // Like the original sample submission: the same class frequencies on every row.
  const counts = SPOOKY_CLASSES.map((c) => train.filter((i) => row(i).author === c).length);
  const priors = counts.map((c) => c / train.length);
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["id", ...SPOOKY_CLASSES],
    test.map((i) => [row(i).id, ...priors]),
  );
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    ["id", ...SPOOKY_CLASSES],
    test.map((i) => {
      const r = row(i);
      return [r.id, ...SPOOKY_CLASSES.map((c) => (c === r.author ? 1 : 0))];
    }),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), SPOOKY_DESCRIPTION);
}

const columns: ColumnSpec[] = [
  { name: "id", role: "id", files: ["train.csv", "test.csv", "sample_submission.csv"] },
  { name: "text", role: "text", files: ["train.csv", "test.csv"] },
  { name: "author", role: "target", files: ["train.csv"] },
];

export const spooky: BuiltinTask = {
  version: 1,
  generate,
  spec: {
    id: ID,
    competition: "spooky-author-identification",
    source: "builtin",
    title: "Mini Spooky Author Identification",
    description: SPOOKY_DESCRIPTION,
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", ...SPOOKY_CLASSES],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: {
      trainFile: "train.csv",
      testFile: "test.csv",
      columns,
      targetKind: "multiclass",
      classes: [...SPOOKY_CLASSES],
      trainRows: N_SENTENCES - N_TEST,
      testRows: N_TEST,
    },
  },
};
