import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Rng } from "../../../util/random.js";
import { writeCsv, type Cell } from "../../../io/csv.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { categorical, dirichlet, range, round } from "./gen.js";
import { LEAF_DESCRIPTION } from "./descriptions.js";

const ID = "mini-leaf-classification";
const PER_CLASS_TRAIN = 9;
const PER_CLASS_TEST = 3;

/** The 99 species of the real competition, in its sample submission's column order. */
export const LEAF_SPECIES = [
  "Acer_Capillipes",
  "Acer_Circinatum",
  "Acer_Mono",
  "Acer_Opalus",
  "Acer_Palmatum",
  "Acer_Pictum",
  "Acer_Platanoids",
  "Acer_Rubrum",
  "Acer_Rufinerve",
  "Acer_Saccharinum",
  "Alnus_Cordata",
  "Alnus_Maximowiczii",
  "Alnus_Rubra",
  "Alnus_Sieboldiana",
  "Alnus_Viridis",
  "Arundinaria_Simonii",
  "Betula_Austrosinensis",
  "Betula_Pendula",
  "Callicarpa_Bodinieri",
  "Castanea_Sativa",
  "Celtis_Koraiensis",
  "Cercis_Siliquastrum",
  "Cornus_Chinensis",
  "Cornus_Controversa",
  "Cornus_Macrophylla",
  "Cotinus_Coggygria",
  "Crataegus_Monogyna",
  "Cytisus_Battandieri",
  "Eucalyptus_Glaucescens",
  "Eucalyptus_Neglecta",
  "Eucalyptus_Urnigera",
  "Fagus_Sylvatica",
  "Ginkgo_Biloba",
  "Ilex_Aquifolium",
  "Ilex_Cornuta",
  "Liquidambar_Styraciflua",
  "Liriodendron_Tulipifera",
  "Lithocarpus_Cleistocarpus",
  "Lithocarpus_Edulis",
  "Magnolia_Heptapeta",
  "Magnolia_Salicifolia",
  "Morus_Nigra",
  "Olea_Europaea",
  "Phildelphus",
  "Populus_Adenopoda",
  "Populus_Grandidentata",
  "Populus_Nigra",
  "Prunus_Avium",
  "Prunus_X_Shmittii",
  "Pterocarya_Stenoptera",
  "Quercus_Afares",
  "Quercus_Agrifolia",
  "Quercus_Alnifolia",
  "Quercus_Brantii",
  "Quercus_Canariensis",
  "Quercus_Castaneifolia",
  "Quercus_Cerris",
  "Quercus_Chrysolepis",
  "Quercus_Coccifera",
  "Quercus_Coccinea",
  "Quercus_Crassifolia",
  "Quercus_Crassipes",
  "Quercus_Dolicholepis",
  "Quercus_Ellipsoidalis",
  "Quercus_Greggii",
  "Quercus_Hartwissiana",
  "Quercus_Ilex",
  "Quercus_Imbricaria",
  "Quercus_Infectoria_sub",
  "Quercus_Kewensis",
  "Quercus_Nigra",
  "Quercus_Palustris",
  "Quercus_Phellos",
  "Quercus_Phillyraeoides",
  "Quercus_Pontica",
  "Quercus_Pubescens",
  "Quercus_Pyrenaica",
  "Quercus_Rhysophylla",
  "Quercus_Rubra",
  "Quercus_Semecarpifolia",
  "Quercus_Shumardii",
  "Quercus_Suber",
  "Quercus_Texana",
  "Quercus_Trojana",
  "Quercus_Variabilis",
  "Quercus_Vulcanica",
  "Quercus_x_Hispanica",
  "Quercus_x_Turneri",
  "Rhododendron_x_Russellianum",
  "Salix_Fragilis",
  "Salix_Intergra",
  "Sorbus_Aria",
  "Tilia_Oliveri",
  "Tilia_Platyphyllos",
  "Tilia_Tomentosa",
  "Ulmus_Bergmanniana",
  "Viburnum_Tinus",
  "Viburnum_x_Rhytidophylloides",
  "Zelkova_Serrata",
];
const BLOCKS = ["margin", "shape", "texture"] as const;
export const LEAF_FEATURES = BLOCKS.flatMap((b) => Array.from({ length: 64 }, (_, i) => `${b}${i + 1}`));

interface Prototype {
  margin: number[];
  texture: number[];
  /** Fourier coefficients (amplitude, phase) of the leaf contour's centroid distance. */
  contour: [number, number][];
}

const genus = (s: string) => s.split("_")[0] as string;

/** Blend two histograms: species stay close to their genus, so species of one genus are the confusable ones. */
function mixHist(rng: Rng, base: number[], own: number, concentration: number): number[] {
  const fresh = dirichlet(
    rng,
    base.map(() => 0.35),
  );
  const mixed = base.map((b, i) => (1 - own) * b + own * (fresh[i] as number));
  return dirichlet(
    rng,
    mixed.map((m) => m * concentration + 0.02),
  );
}

function prototypes(rng: Rng): Prototype[] {
  const genera = new Map<string, Prototype>();
  const newContour = (scale: number): [number, number][] =>
    Array.from({ length: 8 }, (_, k) => [(scale * rng.normal()) / (k + 1), 2 * Math.PI * rng.next()] as [number, number]);
  return LEAF_SPECIES.map((s) => {
    let g = genera.get(genus(s));
    if (!g) {
      g = { margin: dirichlet(rng, new Array(64).fill(0.4)), texture: dirichlet(rng, new Array(64).fill(0.3)), contour: newContour(0.35) };
      genera.set(genus(s), g);
    }
    const contour = g.contour.map(([a, p], k) => [a + (0.05 * rng.normal()) / (k + 1), p + 0.15 * rng.normal()] as [number, number]);
    return { margin: mixHist(rng, g.margin, 0.1, 300), texture: mixHist(rng, g.texture, 0.08, 300), contour };
  });
}

/** A histogram of `draws` samples from `p`: values are multiples of 1/draws like the real features. */
function histogram(rng: Rng, p: number[], draws: number): number[] {
  const counts = new Array<number>(p.length).fill(0);
  for (let d = 0; d < draws; d++) counts[categorical(rng, p)]! += 1;
  return counts.map((c) => round(c / draws, 6));
}

function sampleLeaf(rng: Rng, proto: Prototype): number[] {
  // within-species variation: each leaf's own bin probabilities scatter around the species prototype
  const margin = histogram(
    rng,
    dirichlet(
      rng,
      proto.margin.map((m) => m * 25 + 0.01),
    ),
    256,
  );
  const texture = histogram(
    rng,
    dirichlet(
      rng,
      proto.texture.map((m) => m * 20 + 0.01),
    ),
    512,
  );
  const size = Math.exp(0.08 * rng.normal());
  const r = Array.from({ length: 64 }, (_, j) => {
    const theta = (2 * Math.PI * j) / 64;
    let v = 1;
    proto.contour.forEach(([a, p], k) => (v += (a + 0.08 * rng.normal()) * Math.cos((k + 1) * theta + p)));
    return Math.max(0.05, v) * (1 + 0.02 * rng.normal());
  });
  const total = r.reduce((a, b) => a + b, 0);
  const shape = r.map((v) => round((0.045 * size * v) / total, 7));
  return [...margin, ...shape, ...texture];
}

function generate(dirs: PrepareDirs, seed: number): void {
  const rng = new Rng(seed);
  const protos = prototypes(rng.fork(1));
  const rows: { features: number[]; species: number }[] = [];
  for (let s = 0; s < LEAF_SPECIES.length; s++) {
    for (let k = 0; k < PER_CLASS_TRAIN + PER_CLASS_TEST; k++) rows.push({ features: sampleLeaf(rng, protos[s]!), species: s });
  }
  // ids are a permutation, as in the real data where ids are image numbers
  const perm = rng.fork(2).shuffle(rows.map((_, i) => i));
  const byId = new Array<(typeof rows)[number]>(rows.length);
  perm.forEach((p, i) => (byId[i] = rows[p]!));
  // stratified split: PER_CLASS_TEST leaves of each species go to test
  const testSet = new Set<number>();
  const seen = new Array<number>(LEAF_SPECIES.length).fill(0);
  for (const i of rng.fork(4).shuffle(range(byId.length))) {
    const s = byId[i]!.species;
    if ((seen[s] as number) < PER_CLASS_TEST) {
      testSet.add(i);
      seen[s]! += 1;
    }
  }
  // both parts in shuffled order, as MLE-bench's split leaves them
  const ids = rng.fork(5).shuffle(byId.map((_, i) => i));
  const train = ids.filter((i) => !testSet.has(i));
  const test = ids.filter((i) => testSet.has(i));
  const id = (i: number) => i + 1;
  writeCsv(
    join(dirs.publicDir, "train.csv"),
    ["id", "species", ...LEAF_FEATURES],
    train.map((i) => [id(i), LEAF_SPECIES[byId[i]!.species], ...byId[i]!.features] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    ["id", ...LEAF_FEATURES],
    test.map((i) => [id(i), ...byId[i]!.features] as Cell[]),
  );
  const uniform = round(1 / LEAF_SPECIES.length, 10);
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["id", ...LEAF_SPECIES],
    test.map((i) => [id(i), ...LEAF_SPECIES.map(() => uniform)]),
  );
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    ["id", ...LEAF_SPECIES],
    test.map((i) => [id(i), ...LEAF_SPECIES.map((_, s) => (s === byId[i]!.species ? 1 : 0))]),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), LEAF_DESCRIPTION);
}

const both = ["train.csv", "test.csv"];
const columns: ColumnSpec[] = [
  { name: "id", role: "id", files: [...both, "sample_submission.csv"] },
  { name: "species", role: "target", files: ["train.csv"] },
  ...LEAF_FEATURES.map((name): ColumnSpec => ({ name, role: "numeric", files: both })),
];

export const leafClassification: BuiltinTask = {
  version: 3,
  generate,
  spec: {
    id: ID,
    competition: "leaf-classification",
    source: "builtin",
    title: "Mini Leaf Classification",
    description: LEAF_DESCRIPTION,
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", ...LEAF_SPECIES],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: {
      trainFile: "train.csv",
      testFile: "test.csv",
      columns,
      targetKind: "multiclass",
      classes: LEAF_SPECIES,
      trainRows: LEAF_SPECIES.length * PER_CLASS_TRAIN,
      testRows: LEAF_SPECIES.length * PER_CLASS_TEST,
    },
  },
};
