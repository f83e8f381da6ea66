import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { Rng } from "../../../util/random.js";
import { writeCsv, type Cell } from "../../../io/csv.js";
import { standardFiles, type BuiltinTask, type PrepareDirs } from "../types.js";
import type { ColumnSpec } from "../../../core/task.js";
import { calibratedThresholds } from "../calibration.js";
import { categorical, round, splitRows } from "./gen.js";
import { NOMAD_DESCRIPTION } from "./descriptions.js";

const ID = "mini-nomad2018-predict-transparent-conductors";
const N_TRAIN = 2400;
const N_TEST = 600;

export const NOMAD_FEATURES = [
  "spacegroup",
  "number_of_total_atoms",
  "percent_atom_al",
  "percent_atom_ga",
  "percent_atom_in",
  "lattice_vector_1_ang",
  "lattice_vector_2_ang",
  "lattice_vector_3_ang",
  "lattice_angle_alpha_degree",
  "lattice_angle_beta_degree",
  "lattice_angle_gamma_degree",
];
export const NOMAD_TARGETS = ["formation_energy_ev_natom", "bandgap_energy_ev"];

/**
 * The six space groups of (Al_x Ga_y In_z)2 O3 polymorphs in the real data, with cell sizes, cell shape
 * (relative vector lengths and angles) and the energy above the ground-state polymorph for each pure oxide
 * (Al2O3's ground state is corundum R-3c = 167, Ga2O3's monoclinic C2/m = 12, In2O3's bixbyite Ia-3 = 206).
 */
const GROUPS = [
  { sg: 12, weight: 325, atoms: [20, 40, 80], shape: [3.9, 1.0, 1.9], angles: [90, 103.8, 90], dE: [0.045, 0.0, 0.06], gap: 0.12 },
  { sg: 33, weight: 381, atoms: [40, 80], shape: [1.0, 1.7, 1.85], angles: [90, 90, 90], dE: [0.03, 0.022, 0.075], gap: 0.2 },
  { sg: 167, weight: 386, atoms: [30, 60], shape: [1.0, 1.0, 2.72], angles: [90, 90, 120], dE: [0.0, 0.05, 0.1], gap: 0.3 },
  { sg: 194, weight: 508, atoms: [10, 20, 40, 80], shape: [1.0, 1.0, 1.6], angles: [90, 90, 120], dE: [0.07, 0.065, 0.09], gap: -0.25 },
  { sg: 206, weight: 448, atoms: [40, 80], shape: [1.0, 1.0, 1.0], angles: [109.47, 109.47, 109.47], dE: [0.095, 0.04, 0.0], gap: 0.0 },
  { sg: 227, weight: 352, atoms: [40, 80], shape: [1.0, 1.0, 1.0], angles: [60, 60, 60], dE: [0.11, 0.08, 0.055], gap: -0.45 },
];
/** Volume per atom (Å^3) of the pure oxides: Vegard's law interpolates between them. */
const VOL = [8.55, 10.6, 13.4];
/** PBE-like band gaps (eV) of the pure oxides and the bowing of each pair (Al-Ga, Al-In, Ga-In). */
const GAP = [5.4, 2.35, 0.95];
const GAP_BOW = [1.1, 3.4, 0.9];
/** Mixing enthalpy interaction parameters (eV/atom): the size mismatch makes Al-In mixing costly. */
const OMEGA = [0.12, 0.75, 0.3];

interface Row {
  values: number[];
  targets: [number, number];
}

function cellVolumeFactor(a: number, b: number, g: number): number {
  const r = Math.PI / 180;
  const [ca, cb, cg] = [Math.cos(a * r), Math.cos(b * r), Math.cos(g * r)];
  return Math.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg);
}

function makeRow(rng: Rng): Row {
  const g =
    GROUPS[
      categorical(
        rng,
        GROUPS.map((x) => x.weight),
      )
    ]!;
  const atoms = rng.pick(g.atoms);
  const cations = (atoms * 2) / 5;
  // composition on the cation grid; a share of pure and binary alloys like the real sampling
  const u = rng.next();
  let w: number[];
  if (u < 0.08) {
    const pure = rng.int(3);
    w = [0, 1, 2].map((i) => (i === pure ? 1 : 0));
  } else if (u < 0.4) {
    const drop = rng.int(3);
    const t = rng.next();
    const keep = [0, 1, 2].filter((i) => i !== drop);
    w = [0, 0, 0];
    w[keep[0]!] = t;
    w[keep[1]!] = 1 - t;
  } else {
    const e = [-Math.log(1 - rng.next()), -Math.log(1 - rng.next()), -Math.log(1 - rng.next())];
    const s = e[0]! + e[1]! + e[2]!;
    w = e.map((x) => x / s);
  }
  const counts = w.map((x) => Math.floor(x * cations));
  let rest = cations - counts.reduce((a, b) => a + b, 0);
  const frac = w.map((x, i) => ({ i, f: x * cations - counts[i]! })).sort((a, b) => b.f - a.f);
  for (const { i } of frac) if (rest-- > 0) counts[i]! += 1;
  const x = counts.map((c) => c / cations) as [number, number, number];
  const [al, ga, inn] = x;

  // Vegard volume plus a polymorph-specific packing factor and a local relaxation term
  const vegard = al * VOL[0]! + ga * VOL[1]! + inn * VOL[2]!;
  const packing = { 12: 1.0, 33: 1.02, 167: 0.985, 194: 1.05, 206: 1.0, 227: 1.07 }[g.sg as 12] ?? 1;
  const relax = 0.012 * rng.normal() + 0.03 * al * inn;
  const volume = atoms * vegard * packing * (1 + relax);
  const angles = g.angles.map((a) => a + (a === 90 || a === 120 ? 0.25 : 0.6) * rng.normal() * (1 + 2 * al * inn));
  const shape = g.shape.map((s) => s * (1 + 0.01 * rng.normal()));
  const factor = cellVolumeFactor(angles[0]!, angles[1]!, angles[2]!);
  const scale = Math.cbrt(volume / (shape[0]! * shape[1]! * shape[2]! * factor));
  const vectors = shape.map((s) => s * scale);
  const strain = relax - 0.03 * al * inn; // departure from ideal packing

  const mix = OMEGA[0]! * al * ga + OMEGA[1]! * al * inn + OMEGA[2]! * ga * inn;
  const poly = g.dE[0]! * al + g.dE[1]! * ga + g.dE[2]! * inn;
  // a small-cell penalty (fewer relaxation degrees of freedom) and anharmonic strain cost
  let formation = mix + poly + 25 * strain * strain + (atoms <= 20 ? 0.015 : 0) + 0.35 * Math.max(0, al - 0.6) * (g.sg === 206 ? 1 : 0);
  formation = Math.max(0, formation + 0.012 * rng.normal());

  let gap = GAP[0]! * al + GAP[1]! * ga + GAP[2]! * inn - GAP_BOW[0]! * al * ga - GAP_BOW[1]! * al * inn - GAP_BOW[2]! * ga * inn;
  // polymorph shift grows with Al content (wide-gap end is most structure-sensitive); compression opens the gap
  gap += g.gap * (0.4 + al) - 6 * strain - 1.2 * formation;
  gap = Math.max(0, gap + 0.07 * rng.normal());

  const values = [
    g.sg,
    atoms,
    round(al, 4),
    round(ga, 4),
    round(inn, 4),
    ...vectors.map((v) => round(v, 4)),
    ...angles.map((a) => round(a, 4)),
  ];
  return { values, targets: [round(formation, 4), round(gap, 4)] };
}

function generate(dirs: PrepareDirs, seed: number): void {
  const rng = new Rng(seed);
  const rows = Array.from({ length: N_TRAIN + N_TEST }, () => makeRow(rng));
  const { train, test } = splitRows(rng.fork(1), rows.length, N_TEST);
  const at = (i: number) => rows[i] as Row;
  // as MLE-bench re-numbers this competition: ids 1..n in file order, separately in train and test (so the same
  // id appears in both); test rows are graded by position
  const header = ["id", ...NOMAD_FEATURES, ...NOMAD_TARGETS];
  writeCsv(
    join(dirs.publicDir, "train.csv"),
    header,
    train.map((i, k) => [k + 1, ...at(i).values, ...at(i).targets] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "test.csv"),
    ["id", ...NOMAD_FEATURES],
    test.map((i, k) => [k + 1, ...at(i).values] as Cell[]),
  );
  writeCsv(
    join(dirs.publicDir, "sample_submission.csv"),
    ["id", ...NOMAD_TARGETS],
    test.map((_, k) => [k + 1, 0.1779, 1.8892]),
  );
  writeCsv(
    join(dirs.privateDir, "test.csv"),
    header,
    test.map((i, k) => [k + 1, ...at(i).values, ...at(i).targets] as Cell[]),
  );
  writeFileSync(join(dirs.publicDir, "description.md"), NOMAD_DESCRIPTION);
}

const both = ["train.csv", "test.csv"];
const columns: ColumnSpec[] = [
  { name: "id", role: "id", files: [...both, "sample_submission.csv"] },
  ...NOMAD_FEATURES.map((name): ColumnSpec => ({ name, role: name === "spacegroup" ? "categorical" : "numeric", files: both })),
  ...NOMAD_TARGETS.map((name): ColumnSpec => ({ name, role: "target", files: ["train.csv"] })),
];

export const nomad2018: BuiltinTask = {
  version: 3,
  generate,
  spec: {
    id: ID,
    competition: "nomad2018-predict-transparent-conductors",
    source: "builtin",
    title: "Mini Nomad2018 Predicting Transparent Conductors",
    description: NOMAD_DESCRIPTION,
    metric: "mean_column_rmsle",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", ...NOMAD_TARGETS],
    ...standardFiles(),
    thresholds: calibratedThresholds(ID),
    schema: { trainFile: "train.csv", testFile: "test.csv", columns, targetKind: "multi_regression", trainRows: N_TRAIN, testRows: N_TEST },
  },
};
