import { readFileSync } from "node:fs";
import { tokenizeCsv } from "./csv-tokenizer.js";
import { encodingHint, firstInvalidUtf8 } from "./utf8.js";

/**
 * A CSV read the way MLE-bench reads it (pandas.read_csv with float_precision="round_trip"): the same cells
 * count as missing, a column whose every present cell is a number is numeric (compared and sorted as numbers,
 * so "7" and "7.0" are the same id), and duplicate or empty header names get pandas' names ("a.1",
 * "Unnamed: 0"). Rows shorter than the header are padded with missing cells, as pandas does. Rows and fields
 * are split as pandas' C parser splits them (csv-tokenizer.ts); when the first data row has more fields than
 * the header (R's write.table, or a trailing comma), the extra leading fields are an implicit index, as pandas
 * makes them, and the named columns line up with the header.
 */
export type ColumnKind = "numeric" | "bool" | "text";

export interface TableColumn {
  name: string;
  kind: ColumnKind;
  /** The cell text as written ("" for a padded cell). */
  raw: string[];
  /** True where pandas would read NaN (empty, "NA", "nan", "null", ...). */
  missing: boolean[];
  /** numeric: the parsed double (NaN where missing); bool: 1 / 0; text: NaN. */
  numbers: number[];
  /**
   * Whether pandas holds the column as int64 (every cell present and integral), when that was decided on a
   * larger table this column was cut from; computed from the cells otherwise.
   */
  int64?: boolean;
}

export interface Table {
  /** Where it came from, for messages. */
  source: string;
  /** Column names after pandas' renaming of duplicates and empty names, in file order. */
  header: string[];
  rowCount: number;
  columns: Map<string, TableColumn>;
  /** Leading fields of each data row that pandas takes as an implicit index (0 for most files). */
  indexFields: number;
}

/** pandas' default missing-value strings (read_csv na_values defaults). */
const NA_STRINGS = new Set([
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
]);
const TRUE_STRINGS = new Set(["True", "TRUE", "true"]);
const FALSE_STRINGS = new Set(["False", "FALSE", "false"]);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^[+-]?inf(inity)?$/i;
const ASCII_SPACE_EDGES = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;

export function isMissingCell(cell: string): boolean {
  return NA_STRINGS.has(cell);
}

/**
 * A cell as pandas' round-trip float parser reads it: decimal or scientific notation (correctly rounded, as
 * JavaScript's Number() is) with surrounding ASCII whitespace ignored, or exactly "inf"/"infinity" in any case.
 * undefined if not a number.
 */
export function parseNumberCell(cell: string): number | undefined {
  // Only ASCII whitespace: pandas reads "\u00a05" as text.
  const s = cell.replace(ASCII_SPACE_EDGES, "");
  if (DECIMAL.test(s)) return Number(s);
  // pandas reads "inf" only as the whole cell: " inf" and "inf " are text.
  if (INFINITY.test(cell)) return cell.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return undefined;
}

export class TableError extends Error {}

/** Parse CSV text into a Table; throws TableError with a message naming the problem and the line. */
export function parseTable(text: string, source: string): Table {
  const { records, unclosedQuoteLine } = tokenizeCsv(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const unclosed = () =>
    new TableError(
      `${source} is not valid CSV: a quoted field starting on line ${unclosedQuoteLine} is never closed (the file ends inside it)`,
    );
  const [headerRecord, ...rows] = records;
  if (!headerRecord) {
    if (unclosedQuoteLine !== undefined) throw unclosed();
    throw new TableError(`${source} is empty (no header row)`);
  }
  const header = pandasNames(headerRecord.fields);
  // pandas sizes rows by the first data row: fields beyond the header there are index fields; a later row may
  // be shorter (padded with missing cells) but never longer than the rows before it.
  const first = rows[0]?.fields.length ?? 0;
  const indexFields = Math.max(0, first - header.length);
  const width = header.length + indexFields;
  rows.forEach((row, i) => {
    if (row.fields.length > width) {
      const expected =
        indexFields > 0
          ? `${width} (the header's ${header.length} plus ${indexFields} index field${indexFields > 1 ? "s" : ""}, as in data row 1)`
          : `${width}, as many as the header`;
      throw new TableError(
        `${source}: data row ${i + 1} (line ${row.line}) has ${row.fields.length} fields but ${expected}; quote fields that contain commas`,
      );
    }
  });
  if (unclosedQuoteLine !== undefined) throw unclosed();
  const columns = new Map<string, TableColumn>();
  header.forEach((name, j) =>
    columns.set(
      name,
      buildColumn(
        name,
        rows.map((r) => r.fields[j + indexFields] ?? ""),
      ),
    ),
  );
  return { source, header, rowCount: rows.length, columns, indexFields };
}

/**
 * Read a CSV file as MLE-bench does. The bytes must be UTF-8 (pandas' strict decoding fails otherwise, so
 * nothing is replaced or guessed); the error names the first bad byte.
 */
export function readTable(path: string, source = path): Table {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TableError(`cannot read ${source}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    const hex = (bytes[bad] as number).toString(16).padStart(2, "0");
    throw new TableError(
      `${source} is not valid UTF-8: byte ${bad} (0x${hex}) cannot be decoded${encodingHint(bytes)}; write it as UTF-8 (e.g. pandas' to_csv(..., encoding="utf-8"))`,
    );
  }
  return parseTable(bytes.toString("utf8"), source);
}

/** pandas' C parser: empty names become "Unnamed: i"; a repeated name gets ".k", skipping names already in the header. */
function pandasNames(raw: readonly string[]): string[] {
  const header = raw.map((name, j) => (name === "" ? `Unnamed: ${j}` : name));
  const original = new Set(header);
  const counts = new Map<string, number>();
  return header.map((name) => {
    let col = name;
    let count = counts.get(name) ?? 0;
    while (count > 0) {
      counts.set(name, count + 1);
      col = `${name}.${count}`;
      count = original.has(col) ? count + 1 : (counts.get(col) ?? 0);
    }
    counts.set(col, count + 1);
    return col;
  });
}

function buildColumn(name: string, raw: string[]): TableColumn {
  const missing = raw.map(isMissingCell);
  const parsed = raw.map((cell, i) => (missing[i] ? Number.NaN : parseNumberCell(cell)));
  if (parsed.every((v) => v !== undefined)) return { name, kind: "numeric", raw, missing, numbers: parsed as number[] };
  const present = raw.filter((_, i) => !missing[i]);
  if (present.every((c) => TRUE_STRINGS.has(c) || FALSE_STRINGS.has(c))) {
    return { name, kind: "bool", raw, missing, numbers: raw.map((c, i) => (missing[i] ? Number.NaN : TRUE_STRINGS.has(c) ? 1 : 0)) };
  }
  return { name, kind: "text", raw, missing, numbers: raw.map(() => Number.NaN) };
}

/**
 * The identity of a cell for matching ids and labels: numbers by value (so "7", "7.0" and "7e0" agree), text by
 * its exact characters (a string key never equals a number key). undefined for a missing cell (NaN never
 * equals anything, as in pandas). Number keys keep Map lookups fast on 100k-row files.
 */
export type CellKey = string | number;

export function cellKey(column: TableColumn, row: number): CellKey | undefined {
  if (column.missing[row]) return undefined;
  if (column.kind === "text") return column.raw[row] as string;
  const v = column.numbers[row] as number;
  // Integers beyond 2^53 would collide as doubles; pandas keeps them exact as int64.
  if (!Number.isSafeInteger(v) && /^\s*[+-]?\d+\s*$/.test(column.raw[row] as string))
    return `int:${BigInt((column.raw[row] as string).trim())}`;
  return v === 0 ? 0 : v;
}

/** Python's repr of a float: shortest round-trip digits, "1.0" for integral values, exponent form outside 1e-4..1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = x.toExponential().split("e") as [string, string]; // shortest round-trip digits
  const exp = Number(expText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace(/^-/, "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return `${sign}${whole}.${frac || "0"}`;
}

/** pandas reads a numeric column as int64 when every cell is present and an integer literal. */
export function isInt64Column(column: TableColumn): boolean {
  return (
    column.int64 ?? (column.kind === "numeric" && !column.missing.some(Boolean) && column.raw.every((c) => /^\s*[+-]?\d+\s*$/.test(c)))
  );
}

/**
 * A cell as pandas' `fillna("").astype(str)` renders it: text as written, missing as "", and numbers as Python
 * prints them (an all-integer column without gaps is int64, so "007" reads as 7; otherwise float, so "1" with a
 * gap in the column prints as "1.0").
 */
export function pandasText(column: TableColumn, row: number): string {
  if (column.missing[row]) return "";
  if (column.kind === "text") return column.raw[row] as string;
  if (column.kind === "bool") return column.numbers[row] ? "True" : "False";
  const intColumn = isInt64Column(column);
  if (intColumn) return BigInt((column.raw[row] as string).trim()).toString();
  return pythonFloatRepr(column.numbers[row] as number);
}
