import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Rng } from "../../../util/random.js";
import { writeCsv, type Cell } from "../../../io/csv.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { poisson, round, sigmoid, splitRows } from "./gen.js";
import { TPS_MAY_DESCRIPTION } from "./descriptions.js";

const ID = "mini-tabular-playground-series-may-2022";
const N_TRAIN = 6000;
const N_TEST = 2000;

const pad = (i: number) => `f_${String(i).padStart(2, "0")}`;
/** f_00..f_30 in the real column order. */
export const TPS_MAY_FEATURES = Array.from({ length: 31 }, (_, i) => pad(i));
const CONT_A = [0, 1, 2, 3, 4, 5, 6];
const INTS = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const CONT_B = [19, 20, 21, 22, 23, 24, 25, 26];
const LETTERS = "ABCDEFGHIJKLMNOPQRST";

/** Per-position letter weights for f_27: a few positions use only A/B, the rest a skewed alphabet, as in the real data. */
function letterWeights(pos: number): number[] {
  if (pos === 0 || pos === 2 || pos === 5) return [0.52, 0.48];
  const decay = pos === 7 || pos === 9 ? 0.6 : 0.72;
  return Array.from({ length: LETTERS.length }, (_, k) => Math.pow(decay, Math.abs(k - (pos % 4))));
}

function pickLetter(rng: Rng, weights: number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k] as number;
    if (u < 0) return LETTERS[k] as string;
  }
  return LETTERS[weights.length - 1] as string;
}

interface Row {
  values: (number | string)[];
  target: number;
}

/**
 * The target follows the structure found in the real competition: three "ternary" interactions of summed
 * feature pairs/triples (only their tails matter), the character make-up of the string f_27 (count of distinct
 * letters, letters at specific positions), a few monotone and non-monotone single-feature effects and a
 * categorical interaction. Raw-feature linear models see only part of it.
 */
function makeRow(rng: Rng): Row {
  const f: number[] = new Array(31).fill(0);
  for (const j of CONT_A) f[j] = rng.normal();
  const lambdas = [2.1, 2.3, 2.5, 1.9, 5.2, 1.7, 1.9, 2.4, 1.5, 2.0, 4.9, 1.6];
  INTS.forEach((j, k) => (f[j] = poisson(rng, lambdas[k] as number)));
  const sds = [1.6, 1.5, 1.5, 1.5, 1.6, 1.5, 1.6, 1.5];
  CONT_B.forEach((j, k) => (f[j] = (sds[k] as number) * rng.normal()));
  let s27 = "";
  for (let p = 0; p < 10; p++) s27 += pickLetter(rng, letterWeights(p));
  f[28] = 240 * rng.normal();
  f[29] = rng.next() < 0.35 ? 1 : 0;
  const u = rng.next();
  f[30] = u < 0.33 ? 0 : u < 0.67 ? 1 : 2;

  const g = (j: number) => f[j] as number;
  const tern = (s: number, t: number) => (s > t ? 1 : s < -t ? -1 : 0);
  const i1 = tern(g(21) + g(2), 2.6);
  const i2 = tern(g(22) + g(5), 2.6);
  const i3 = tern(g(0) + g(1) + g(26), 2.8);
  const distinct = new Set(s27).size;
  const countB = [0, 2, 5].filter((p) => s27[p] === "B").length;
  const lateHigh = [...s27.slice(6)].filter((c) => c >= "F").length;
  let z =
    1.7 * i1 +
    1.7 * i2 +
    1.7 * i3 +
    0.45 * (distinct - 6.5) +
    0.35 * (countB - 1.5) -
    0.3 * (lateHigh - 0.8) +
    0.22 * g(19) -
    0.2 * g(20) +
    0.18 * g(23) -
    0.15 * g(24) +
    0.35 * (g(3) * g(3) - 1) -
    0.3 * (Math.abs(g(4)) - 0.8) +
    0.12 * (g(8) - 2.3) -
    0.5 * (g(10) >= 4 ? 1 : 0) +
    0.1 * (g(11) - 5.2) +
    g(28) / 420 +
    (g(29) === 1 ? 0.9 * Math.tanh(g(28) / 150) : -0.25) +
    (g(30) === 2 ? -0.45 : g(30) === 0 ? 0.3 : 0);
  z += 0.35 * rng.normal();
  const target = rng.next() < sigmoid(1.8 * z) ? 1 : 0;
  const values: (number | string)[] = f.map((x, j) =>
    CONT_A.includes(j) || CONT_B.includes(j) ? round(x, 6) : j === 28 ? round(x, 2) : x,
  );
  values[27] = s27;
  return { values, target };
}

function generate(dirs: PrepareDirs, seed: number): void {
  const rng = new Rng(seed);
  const rows = Array.from({ length: N_TRAIN + N_TEST }, () => makeRow(rng));
  const { train, test } = splitRows(rng.fork(1), rows.length, N_TEST);
  const at = (i: number) => rows[i] as Row;
  // as MLE-bench re-numbers this competition: train ids 0..n-1 in file order, test ids continue after them
  const header = ["id", ...TPS_MAY_FEATURES, "target"];
  writeCsv(
    join(dirs.publicDir, "train.csv"),
    header,
    train.map((i, k) => [k, ...at(i).values, at(i).target] as Cell[]),
  );
  const testId = (k: number) => N_TRAIN + k;
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    header.slice(0, -1),
    test.map((i, k) => [testId(k), ...at(i).values] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["id", "target"],
    test.map((_, k) => [testId(k), 0.5]),
  );
  // the answers are the full test rows with their target, like MLE-bench's private/test.csv
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    header,
    test.map((i, k) => [testId(k), ...at(i).values, at(i).target] as Cell[]),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), TPS_MAY_DESCRIPTION);
}

const both = ["train.csv", "test.csv"];
const columns: ColumnSpec[] = [
  { name: "id", role: "id", files: [...both, "sample_submission.csv"] },
  ...TPS_MAY_FEATURES.map((name): ColumnSpec => ({
    name,
    role: name === "f_27" ? "text" : name === "f_29" || name === "f_30" ? "categorical" : "numeric",
    files: both,
  })),
  { name: "target", role: "target", files: ["train.csv"] },
];

export const tpsMay2022: BuiltinTask = {
  version: 2,
  generate,
  spec: {
    id: ID,
    competition: "tabular-playground-series-may-2022",
    source: "builtin",
    title: "Mini Tabular Playground Series - May 2022",
    description: TPS_MAY_DESCRIPTION,
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "id",
    submissionColumns: ["id", "target"],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: {
      trainFile: "train.csv",
      testFile: "test.csv",
      columns,
      targetKind: "binary",
      classes: ["0", "1"],
      trainRows: N_TRAIN,
      testRows: N_TEST,
    },
  },
};
