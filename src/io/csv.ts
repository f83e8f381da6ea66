import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { UserError } from "../errors.js";

export type Cell = string | number | null | undefined;

function quote(cell: Cell): string {
  if (cell === null || cell === undefined) return "";
  // Numbers are written with round-trip precision (shortest repr that parses back to the same double).
  const s =
    typeof cell === "number" ? (Number.isFinite(cell) ? String(cell) : cell > 0 ? "inf" : Number.isNaN(cell) ? "nan" : "-inf") : cell;
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV text with a header row; quotes only where needed, like pandas' to_csv. */
export function formatCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const lines = [header.map(quote).join(",")];
  for (const row of rows) lines.push(row.map(quote).join(","));
  return `${lines.join("\n")}\n`;
}

export function writeCsv(path: string, header: readonly string[], rows: readonly (readonly Cell[])[]): void {
  writeFileSync(path, formatCsv(header, rows));
}

export interface CsvTable {
  header: string[];
  /** Raw string cells, row-major; every row has header.length cells. */
  rows: string[][];
}

/** Parse CSV text strictly: a ragged row or broken quoting is a UserError naming the file and line. */
export function parseCsv(text: string, name = "CSV"): CsvTable {
  let records: string[][];
  try {
    records = parse(text, { bom: true, relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new UserError(`${name} is not valid CSV: ${msg}`, "write it with a CSV writer (e.g. pandas DataFrame.to_csv(path, index=False))");
  }
  const [header, ...rows] = records;
  if (!header) throw new UserError(`${name} is empty (no header row)`, "write a header row with the column names");
  return { header, rows };
}

export function readCsv(path: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserError(`cannot read ${path}`, "check that the file exists and is readable");
  }
  return parseCsv(text, path);
}
