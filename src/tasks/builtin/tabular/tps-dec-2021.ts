import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Rng } from "../../../util/random.js";
import { writeCsv, type Cell } from "../../../io/csv.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { categorical, splitRows } from "./gen.js";
import { TPS_DEC_DESCRIPTION } from "./descriptions.js";

const ID = "mini-tabular-playground-series-dec-2021";
const N_TRAIN = 6000;
const N_TEST = 2000;

const NUMERIC = [
  "Elevation",
  "Aspect",
  "Slope",
  "Horizontal_Distance_To_Hydrology",
  "Vertical_Distance_To_Hydrology",
  "Horizontal_Distance_To_Roadways",
  "Hillshade_9am",
  "Hillshade_Noon",
  "Hillshade_3pm",
  "Horizontal_Distance_To_Fire_Points",
];
const WILDERNESS = [1, 2, 3, 4].map((i) => `Wilderness_Area${i}`);
const SOIL = Array.from({ length: 40 }, (_, i) => `Soil_Type${i + 1}`);
/** Id, the 54 features and Cover_Type, in the real column order. */
export const TPS_DEC_FEATURES = [...NUMERIC, ...WILDERNESS, ...SOIL];

/**
 * Per cover type: elevation optimum and tolerance (m), preferred wilderness areas, and soil types that favour it.
 * Loosely modelled on the Roosevelt National Forest data the real competition's synthetic set was derived from.
 */
const COVER = [
  { elev: 3160, width: 115, prior: 0.36, wild: [0.5, 0.1, 0.4, 0], soils: [22, 23, 29, 32, 33] },
  { elev: 2960, width: 150, prior: 0.47, wild: [0.45, 0.05, 0.45, 0.05], soils: [29, 30, 31, 32, 12] },
  { elev: 2430, width: 150, prior: 0.08, wild: [0, 0, 0.35, 0.65], soils: [2, 4, 6, 10, 11] },
  { elev: 2200, width: 90, prior: 0.012, wild: [0, 0, 0, 1], soils: [3, 6, 10] },
  { elev: 2820, width: 95, prior: 0.015, wild: [0.5, 0, 0.5, 0], soils: [4, 18, 20, 29] },
  { elev: 2500, width: 130, prior: 0.025, wild: [0, 0, 0.45, 0.55], soils: [2, 10, 11, 17] },
  { elev: 3380, width: 85, prior: 0.028, wild: [0.4, 0.3, 0.3, 0], soils: [35, 38, 39, 40] },
];

interface Row {
  values: number[];
  cover: number;
}

const clampInt = (x: number, lo: number, hi: number) => Math.round(Math.min(hi, Math.max(lo, x)));

/** Hillshade from slope and aspect at a sun position (simplified illumination model, 0..255). */
function hillshade(slopeDeg: number, aspectDeg: number, sunAzimuth: number, sunAltitude: number): number {
  const rad = Math.PI / 180;
  const zen = (90 - sunAltitude) * rad;
  const s = slopeDeg * rad;
  const v = Math.cos(zen) * Math.cos(s) + Math.sin(zen) * Math.sin(s) * Math.cos((sunAzimuth - aspectDeg) * rad);
  return 255 * Math.max(0, v);
}

function makeRow(rng: Rng): Row {
  // Draw the cover type first, then terrain that fits it; the class is then re-drawn from a noisy score of
  // the generated terrain, so the label depends on features in a non-linear way and is not perfectly separable.
  const k0 = categorical(
    rng,
    COVER.map((c) => c.prior),
  );
  const c0 = COVER[k0]!;
  const elevation = c0.elev + c0.width * 1.25 * rng.normal();
  const aspect = (rng.next() < 0.6 ? 20 + 140 * rng.next() : 360 * rng.next()) % 360;
  const slope = Math.abs(14 + 7.5 * rng.normal() + (k0 === 2 || k0 === 5 ? 4 : 0));
  const hHydro = Math.abs(260 * rng.normal() * 0.9 + 60 * rng.normal());
  const vHydro = 0.18 * hHydro * (rng.next() - 0.2) + 25 * rng.normal() + 0.01 * (elevation - 2900);
  const road = Math.abs(1700 + 1300 * rng.normal() + 0.8 * (elevation - 2900));
  const fire = Math.abs(1550 + 1100 * rng.normal());
  const wildIdx = categorical(
    rng,
    c0.wild.map((w) => w + 0.03),
  );
  const soil = new Array<number>(40).fill(0);
  const mainSoil = rng.next() < 0.7 ? rng.pick(c0.soils) : 1 + rng.int(40);
  if (mainSoil !== 7 && mainSoil !== 15) soil[mainSoil - 1] = 1;
  // the synthetic original had stray extra ones
  if (rng.next() < 0.08) soil[rng.int(40)] = 1;
  soil[6] = 0;
  soil[14] = 0;
  const h9 = hillshade(slope, aspect, 110, 40) + 8 * rng.normal();
  const hNoon = hillshade(slope, aspect, 180, 65) + 6 * rng.normal();
  const h3 = hillshade(slope, aspect, 250, 38) + 10 * rng.normal();

  const euclid = Math.sqrt(hHydro * hHydro + vHydro * vHydro);
  // north-facing slopes are colder: they behave like higher ground
  const effElev = elevation - 0.25 * vHydro + 150 * Math.cos((aspect * Math.PI) / 180);
  const scores = COVER.map((c, k) => {
    const d = (effElev - c.elev) / c.width;
    let s = -0.5 * d * d + Math.log(c.prior) + 1.4 * Math.log((c.wild[wildIdx] ?? 0) + 0.03);
    if (c.soils.includes(mainSoil)) s += 0.9;
    if (k === 4) s += euclid < 180 && aspect < 160 ? 2.2 : -0.8;
    if (k === 5) s += h3 < 120 ? 1.8 : -0.6;
    if (k === 2) s += slope > 18 && h3 >= 120 ? 1.0 : 0;
    // spruce/fir vs lodgepole: remote from roads and past fires together, or closer to one than to the other, but
    // not both (an interaction along diagonals that no linear score has and axis-aligned trees only approximate)
    if (k === 0) s += road + fire > 3400 !== road > fire + 300 ? 1.0 : -1.0;
    if (k === 1) s += slope < 10 && elevation > 3000 ? 0.8 : 0;
    if (k === 6) s += hNoon > 225 ? 0.6 : 0;
    return 2.6 * s;
  });
  const weights = scores.map((s) => Math.exp(s - Math.max(...scores)));
  const cover = categorical(rng, weights) + 1;
  const values = [
    clampInt(elevation, 1773, 4383),
    clampInt(aspect, 0, 359),
    clampInt(slope, 0, 64),
    clampInt(hHydro, 0, 1602),
    clampInt(vHydro, -317, 647),
    clampInt(road, 0, 7666),
    clampInt(h9, 0, 255),
    clampInt(hNoon, 0, 255),
    clampInt(h3, 0, 255),
    clampInt(fire, 0, 8075),
    ...[0, 1, 2, 3].map((i) => (i === wildIdx ? 1 : 0)),
    ...soil,
  ];
  return { values, cover };
}

function generate(dirs: PrepareDirs, seed: number): void {
  const rng = new Rng(seed);
  const rows = Array.from({ length: N_TRAIN + N_TEST }, () => makeRow(rng));
  const { train, test } = splitRows(rng.fork(1), rows.length, N_TEST);
  const at = (i: number) => rows[i] as Row;
  writeCsv(
    join(dirs.publicDir, "train.csv"),
    ["Id", ...TPS_DEC_FEATURES, "Cover_Type"],
    train.map((i) => [i, ...at(i).values, at(i).cover] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    ["Id", ...TPS_DEC_FEATURES],
    test.map((i) => [i, ...at(i).values] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["Id", "Cover_Type"],
    test.map((i) => [i, 2]),
  );
  // the answers are the full test rows with their label, like MLE-bench's private/test.csv
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    ["Id", ...TPS_DEC_FEATURES, "Cover_Type"],
    test.map((i) => [i, ...at(i).values, at(i).cover] as Cell[]),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), TPS_DEC_DESCRIPTION);
}

const both = ["train.csv", "test.csv"];
const columns: ColumnSpec[] = [
  { name: "Id", role: "id", files: [...both, "sample_submission.csv"] },
  ...NUMERIC.map((name): ColumnSpec => ({ name, role: "numeric", files: both })),
  ...[...WILDERNESS, ...SOIL].map((name): ColumnSpec => ({ name, role: "categorical", files: both })),
  { name: "Cover_Type", role: "target", files: ["train.csv"] },
];

export const tpsDec2021: BuiltinTask = {
  version: 3,
  generate,
  spec: {
    id: ID,
    competition: "tabular-playground-series-dec-2021",
    source: "builtin",
    title: "Mini Tabular Playground Series - Dec 2021",
    description: TPS_DEC_DESCRIPTION,
    metric: "accuracy",
    lowerIsBetter: false,
    idColumn: "Id",
    submissionColumns: ["Id", "Cover_Type"],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: {
      trainFile: "train.csv",
      testFile: "test.csv",
      columns,
      targetKind: "multiclass",
      classes: ["1", "2", "3", "4", "5", "6", "7"],
      trainRows: N_TRAIN,
      testRows: N_TEST,
    },
  },
};
