import assert from "node:assert/strict";
import { readTable, TableError, type Table } from "../../src/grading/index.js";
import { decodeNumber, runPython } from "../metrics/reference.js";

/** What pandas.read_csv(path, float_precision="round_trip") made of a file, as MLE-bench's read_csv calls it. */
export type PandasRead = (
  | { error: "unicode" }
  | { error: "empty" }
  | { error: "fields"; line: number; message: string }
  | { error: "parser" | "other"; message: string }
  | {
      error: null;
      columns: string[];
      rows: number;
      /** 0 for pandas' default RangeIndex, else the implicit index's number of levels. */
      index: number;
      data: { kind: string; values: unknown[] }[];
    }
) & {
  /** Where Python's strict UTF-8 decoding of the whole file fails, or null. */
  bad: number | null;
};

const READER = `
import re, pandas as pd
out = []
bads = []
for path in DATA:
    raw = open(path, "rb").read()
    try:
        raw.decode("utf-8")
        bad = None
    except UnicodeDecodeError as e:
        bad = e.start
    bads.append(bad)
    try:
        d = pd.read_csv(path, float_precision="round_trip")
    except UnicodeDecodeError:
        out.append({"error": "unicode", "bad": bad})
        continue
    except pd.errors.EmptyDataError:
        out.append({"error": "empty"})
        continue
    except pd.errors.ParserError as e:
        m = re.search(r"Expected \\d+ fields in line (\\d+), saw \\d+", str(e))
        out.append({"error": "fields", "line": int(m.group(1)), "message": str(e)} if m else {"error": "parser", "message": str(e)})
        continue
    except Exception as e:
        out.append({"error": "other", "message": f"{type(e).__name__}: {e}"})
        continue
    data = []
    for c in d.columns:
        s = d[c]
        isna = lambda v: not isinstance(v, str) and pd.isna(v)
        present = [v for v in s.tolist() if not isna(v)]
        kind = "bool" if s.dtype == bool or (present and all(isinstance(v, bool) for v in present)) else ("numeric" if pd.api.types.is_numeric_dtype(s) else "text")
        values = [None if isna(v) else (v if isinstance(v, str) else float(v)) for v in s.tolist()]
        data.append({"kind": kind, "values": values})
    # pandas may store an implicit integer index 1..n as a RangeIndex too; only 0, 1, ... is the default one.
    index = 0 if isinstance(d.index, pd.RangeIndex) and d.index.start == 0 and d.index.step == 1 else d.index.nlevels
    out.append(enc({"error": None, "columns": [str(c) for c in d.columns], "rows": len(d), "index": index, "data": data}))
print(json.dumps([dict(r, bad=b) for r, b in zip(out, bads)]))
`;

/** Read every file with the agent venv's pandas in one subprocess. */
export function pandasRead(paths: readonly string[]): PandasRead[] {
  return runPython(READER, paths) as PandasRead[];
}

export type Ours = { table: Table; error: null } | { table: null; error: string };

export function oursRead(path: string): Ours {
  try {
    return { table: readTable(path), error: null };
  } catch (e) {
    if (e instanceof TableError) return { table: null, error: e.message };
    throw e;
  }
}

/**
 * Assert that mlerl's reader and pandas agree on a file: both reject it (for the same reason: bad UTF-8 at the
 * same byte, no header, a long row on the same line, an unclosed quote) or both read the same columns, row
 * count, implicit index and, cell by cell, the same missing values, column types, text and doubles. Give the
 * file's bytes to also require the same line number for a long row when the file has no quotes.
 */
export function assertSameRead(label: string, ours: Ours, theirs: PandasRead, content?: Buffer): void {
  if (theirs.bad !== null && ours.error !== null && /not valid UTF-8/.test(ours.error)) {
    // pandas splits the bytes before decoding them, so it may report another fault first; both reject the file.
    assert.ok(theirs.error !== null, `${label}: pandas reads a file that is not UTF-8`);
    assert.match(ours.error, new RegExp(`not valid UTF-8: byte ${theirs.bad} \\(`), label);
    return;
  }
  if (theirs.error !== null) {
    assert.ok(
      ours.error !== null,
      `${label}: pandas rejects it (${theirs.error}${"message" in theirs ? `: ${theirs.message}` : ""}), we read it`,
    );
    if (theirs.error === "unicode") assert.match(ours.error, new RegExp(`not valid UTF-8: byte ${theirs.bad} \\(`), label);
    if (theirs.error === "empty") assert.match(ours.error, /is empty/, label);
    if (theirs.error === "fields") {
      // pandas counts line ends outside quotes; we name the physical line (line breaks in quoted fields count).
      const line = Number(/\(line (\d+)\) has \d+ fields/.exec(ours.error)?.[1]);
      const quoted = content === undefined || content.includes(0x22);
      assert.ok(quoted ? line >= theirs.line : line === theirs.line, `${label}: ours ${ours.error}; pandas ${theirs.message}`);
    }
    if (theirs.error === "parser") assert.match(ours.error, /never closed/, `${label}: ${theirs.message}`);
    return;
  }
  assert.ok(ours.table, `${label}: pandas reads it, we reject it: ${ours.error}`);
  const t = ours.table;
  assert.deepEqual(t.header, theirs.columns, `${label}: columns`);
  assert.equal(t.rowCount, theirs.rows, `${label}: row count`);
  assert.equal(t.indexFields, theirs.index, `${label}: implicit index levels`);
  theirs.data.forEach((col, j) => {
    const name = theirs.columns[j] as string;
    const c = t.columns.get(name)!;
    if (theirs.rows > 0) assert.equal(c.kind, col.kind, `${label}: column ${JSON.stringify(name)} type`);
    col.values.forEach((v, i) => {
      const where = `${label}: column ${JSON.stringify(name)} row ${i + 1} (ours ${JSON.stringify(c.raw[i])})`;
      if (v === null) {
        assert.ok(c.missing[i], `${where}: pandas reads it as missing`);
        return;
      }
      assert.ok(!c.missing[i], `${where}: pandas reads ${JSON.stringify(v)}`);
      if (col.kind === "text") assert.equal(c.raw[i], v, where);
      else
        assert.ok(
          Object.is(c.numbers[i], decodeNumber(v)) || c.numbers[i] === decodeNumber(v),
          `${where}: ours ${c.numbers[i]}, pandas ${String(v)}`,
        );
    });
  });
}
