import { before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCsv, type CsvTable } from "../../src/io/csv.js";
import { gradeSubmission } from "../../src/grading/index.js";
import { prepareTasks, requirePrepared } from "../../src/tasks/registry.js";

const TABULAR = [
  "mini-tabular-playground-series-may-2022",
  "mini-tabular-playground-series-dec-2021",
  "mini-nomad2018-predict-transparent-conductors",
  "mini-leaf-classification",
];
let dataDir = "";
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "mlerl-formats-"));
  await prepareTasks(TABULAR, dataDir, () => {});
});

function files(id: string) {
  const { spec, paths } = requirePrepared(id, dataDir);
  const pub = (f: string) => readCsv(join(paths.publicDir, f));
  return {
    spec,
    paths,
    train: pub("train.csv"),
    test: pub("test.csv"),
    sample: pub("sample_submission.csv"),
    answers: readCsv(join(paths.privateDir, "test.csv")),
  };
}
const col = (t: CsvTable, name: string) => {
  const i = t.header.indexOf(name);
  assert.ok(i >= 0, `no column ${name}`);
  return t.rows.map((r) => r[i] as string);
};
const seq = (prefix: string, n: number, pad = 0) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + (pad ? 0 : 1)).padStart(pad, "0")}`);

// Column headers of the real competitions' files.
const TPS_MAY = ["id", ...seq("f_", 31, 2)];
const TPS_DEC = [
  "Id",
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
  ...seq("Wilderness_Area", 4),
  ...seq("Soil_Type", 40),
];
const NOMAD = [
  "id",
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
const NOMAD_TARGETS = ["formation_energy_ev_natom", "bandgap_energy_ev"];
const LEAF = ["id", ...seq("margin", 64), ...seq("shape", 64), ...seq("texture", 64)];

function commonChecks(id: string, idCol: string, idsPerFile = false) {
  const f = files(id);
  const testIds = col(f.test, idCol);
  assert.deepEqual(col(f.sample, idCol), testIds, "sample submission rows follow test.csv");
  assert.deepEqual(col(f.answers, idCol), testIds, "answers rows follow test.csv");
  const trainIds = new Set(col(f.train, idCol));
  if (!idsPerFile)
    assert.ok(
      testIds.every((i) => !trainIds.has(i)),
      "train and test ids are disjoint",
    );
  assert.equal(new Set(testIds).size, testIds.length);
  assert.equal(trainIds.size, f.train.rows.length);
  assert.equal(f.train.rows.length, f.spec.schema?.trainRows);
  assert.equal(f.test.rows.length, f.spec.schema?.testRows);
  assert.deepEqual(f.sample.header, f.spec.submissionColumns);
  // the schema names only columns that exist in the files it names
  for (const c of f.spec.schema!.columns) {
    for (const file of c.files) {
      const t = file === "train.csv" ? f.train : file === "test.csv" ? f.test : f.sample;
      assert.ok(t.header.includes(c.name), `${c.name} missing from ${file}`);
    }
  }
  // the sample submission is a valid submission for the real grader
  const report = gradeSubmission(f.spec, f.paths, join(f.paths.publicDir, "sample_submission.csv"));
  assert.equal(report.valid_submission, true, JSON.stringify(report));
  return f;
}

test("mini TPS May 2022 has the real files and columns, a 10-letter f_27 and a binary target", () => {
  const f = commonChecks("mini-tabular-playground-series-may-2022", "id");
  assert.deepEqual(f.train.header, [...TPS_MAY, "target"]);
  assert.deepEqual(f.test.header, TPS_MAY);
  // MLE-bench's answers are the full test rows; ids are 0..n-1 over train, then continue over test
  assert.deepEqual(f.answers.header, [...TPS_MAY, "target"]);
  assert.deepEqual(
    col(f.train, "id").map(Number),
    f.train.rows.map((_, k) => k),
  );
  assert.deepEqual(
    col(f.test, "id").map(Number),
    f.test.rows.map((_, k) => f.train.rows.length + k),
  );
  assert.ok(col(f.train, "f_27").every((s) => /^[A-T]{10}$/.test(s)));
  const y = col(f.train, "target");
  assert.deepEqual([...new Set(y)].sort(), ["0", "1"]);
  const rate = y.filter((v) => v === "1").length / y.length;
  assert.ok(rate > 0.3 && rate < 0.7, `positive rate ${rate}`);
});

test("mini TPS Dec 2021 has the real columns and imbalanced classes 1-7", () => {
  const f = commonChecks("mini-tabular-playground-series-dec-2021", "Id");
  assert.deepEqual(f.train.header, [...TPS_DEC, "Cover_Type"]);
  assert.deepEqual(f.test.header, TPS_DEC);
  assert.deepEqual(f.answers.header, [...TPS_DEC, "Cover_Type"]);
  const ids = col(f.test, "Id").map(Number);
  assert.notDeepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
    "rows stay in the split's shuffled order",
  );
  const y = col(f.train, "Cover_Type");
  const counts = new Map<string, number>();
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), ["1", "2", "3", "4", "5", "6", "7"]);
  const shares = [...counts.values()].map((c) => c / y.length);
  assert.ok(Math.max(...shares) > 0.4 && Math.min(...shares) < 0.03, `class shares ${shares.join(", ")}`);
});

test("mini nomad2018 has the real columns, compositions summing to 1, and test rows in their own (positional) order", () => {
  const f = commonChecks("mini-nomad2018-predict-transparent-conductors", "id", true);
  assert.deepEqual(f.train.header, [...NOMAD, ...NOMAD_TARGETS]);
  assert.deepEqual(f.test.header, NOMAD);
  assert.deepEqual(f.answers.header, [...NOMAD, ...NOMAD_TARGETS]);
  // MLE-bench numbers each file's rows 1..n
  assert.deepEqual(
    col(f.test, "id").map(Number),
    f.test.rows.map((_, k) => k + 1),
  );
  assert.deepEqual(
    col(f.train, "id").map(Number),
    f.train.rows.map((_, k) => k + 1),
  );
  const [al, ga, inn] = ["al", "ga", "in"].map((m) => col(f.train, `percent_atom_${m}`).map(Number));
  al!.forEach((a, i) => assert.ok(Math.abs(a + ga![i]! + inn![i]! - 1) < 1e-3));
  for (const t of NOMAD_TARGETS)
    assert.ok(
      col(f.train, t)
        .map(Number)
        .every((v) => v >= 0),
    );
  assert.deepEqual(new Set(col(f.train, "spacegroup")), new Set(["12", "33", "167", "194", "206", "227"]));
});

test("mini leaf classification has 192 features, 99 species as sorted one-hot submission columns, every species in train", () => {
  const f = commonChecks("mini-leaf-classification", "id");
  assert.deepEqual(f.train.header, ["id", "species", ...LEAF.slice(1)]);
  assert.deepEqual(f.test.header, LEAF);
  const species = f.sample.header.slice(1);
  assert.equal(species.length, 99);
  assert.deepEqual(species, [...species].sort(), "Kaggle's column order is sorted");
  assert.equal(species[0], "Acer_Capillipes");
  assert.equal(species[98], "Zelkova_Serrata");
  assert.deepEqual(new Set(col(f.train, "species")), new Set(species));
  assert.deepEqual(f.answers.header, f.sample.header);
  for (const row of f.answers.rows)
    assert.equal(
      row
        .slice(1)
        .map(Number)
        .reduce((a, b) => a + b, 0),
      1,
    );
  for (const row of f.sample.rows)
    assert.ok(
      Math.abs(
        row
          .slice(1)
          .map(Number)
          .reduce((a, b) => a + b, 0) - 1,
      ) < 1e-6,
    );
});
