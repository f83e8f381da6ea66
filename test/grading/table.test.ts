import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { readTable } from "../../src/grading/index.js";
import { Rng } from "../../src/util/random.js";
import { decodeNumber, runPython } from "../metrics/reference.js";
import { makeDataDir } from "./fixtures.js";

// The grader must read a CSV exactly as MLE-bench does (pandas.read_csv, float_precision="round_trip"): which
// cells are missing, which columns are numbers or booleans, and the exact double each number becomes.

function randomDecimal(rng: Rng): string {
  const digits = Array.from({ length: 1 + rng.int(25) }, () => rng.int(10)).join("");
  const point = rng.int(digits.length + 1);
  const mantissa = `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/^\./, "0.");
  const exp = rng.next() < 0.3 ? `e${rng.int(640) - 330}` : "";
  return `${rng.pick(["", "-", "+"])}${mantissa}${exp}`;
}

test("cells, missing values and column types are read as pandas reads them, numbers to the last bit", () => {
  const rng = new Rng(8);
  const n = 400;
  const columns: Record<string, (i: number) => string> = {
    decimals: () => randomDecimal(rng),
    edge_numbers: (i) =>
      [
        "4.9e-324",
        "2.2250738585072011e-308",
        "1.7976931348623157e308",
        "1e400",
        "-0",
        "0.1000000000000000055511151231257827",
        " 12",
        "13 ",
        "inf",
        "-Infinity",
        "nan",
        "",
        "1.",
        ".5",
        "+3",
      ][i % 15]!,
    ints_with_gaps: (i) => (i % 7 === 0 ? "" : String(i * 1000003)),
    na_words: (i) => ["#N/A", "#NA", "-NaN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "1.5"][i % 13]!,
    booleans: (i) => ["True", "false", "TRUE", "False", "", "true"][i % 6]!,
    mixed_text: (i) => (i % 5 === 0 ? "abc" : i % 5 === 1 ? "NA" : String(i)),
    hex_like: (i) => (i % 2 ? "0x1A" : "12"),
    quoted: (i) => `"${i % 3 === 0 ? "a, b" : i % 3 === 1 ? 'say ""hi""' : "multi\nline"}"`,
  };
  const names = Object.keys(columns);
  const lines = [names.join(",")];
  for (let i = 0; i < n; i++) lines.push(names.map((c) => columns[c]!(i)).join(","));
  const path = join(makeDataDir(), "cells.csv");
  writeFileSync(path, `${lines.join("\n")}\n`);

  const expected = runPython(
    `
import warnings, pandas as pd
warnings.simplefilter("ignore")
d = pd.read_csv(DATA, float_precision="round_trip")
out = {}
for c in d.columns:
    s = d[c]
    present = [v for v in s.tolist() if not (not isinstance(v, str) and pd.isna(v))]
    # A boolean column with gaps is an object column of True/False/NaN: booleans all the same.
    kind = "bool" if s.dtype == bool or (present and all(isinstance(v, bool) for v in present)) else ("numeric" if pd.api.types.is_numeric_dtype(s) else "text")
    vals = [None if (not isinstance(v, str) and pd.isna(v)) else (v if isinstance(v, str) else float(v)) for v in s.tolist()]
    out[c] = {"kind": kind, "values": vals}
print(json.dumps(enc(out)))
`,
    path,
  ) as Record<string, { kind: string; values: unknown[] }>;

  const table = readTable(path);
  assert.deepEqual(table.header, names);
  assert.equal(table.rowCount, n);
  for (const name of names) {
    const ours = table.columns.get(name)!;
    const theirs = expected[name]!;
    assert.equal(ours.kind, theirs.kind, `${name}: column type`);
    theirs.values.forEach((v, i) => {
      const where = `${name} row ${i + 1} (${JSON.stringify(ours.raw[i])})`;
      if (v === null) {
        assert.ok(ours.missing[i], `${where}: pandas reads it as missing`);
        return;
      }
      assert.ok(!ours.missing[i], `${where}: pandas reads a value`);
      if (theirs.kind === "text") assert.equal(ours.raw[i], v, where);
      else
        assert.ok(
          Object.is(ours.numbers[i], decodeNumber(v)) || ours.numbers[i] === decodeNumber(v),
          `${where}: ours ${ours.numbers[i]}, pandas ${String(v)}`,
        );
    });
  }
});

test("duplicate and empty header names get pandas' names", () => {
  const path = join(makeDataDir(), "names.csv");
  writeFileSync(path, ",id,score,score,score.1,a,a,a,a.1,,a.2\n0,1,0.5,0.6,0.7,1,2,3,4,5,6\n");
  const expected = runPython(`import pandas as pd\nprint(json.dumps(list(pd.read_csv(DATA).columns)))`, path) as string[];
  assert.deepEqual(readTable(path).header, expected);
});
