import { cellKey, parseNumberCell, type Table, type TableColumn } from "./table.js";

/** The submission cannot be scored; the message says what is wrong and where, in words a user can act on. */
export class InvalidSubmission extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidSubmission";
  }
}

const MAX_LISTED = 5;

function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(", ");
}

function listSome(items: readonly string[]): string {
  return items.length <= MAX_LISTED ? items.join(", ") : `${items.slice(0, MAX_LISTED).join(", ")} and ${items.length - MAX_LISTED} more`;
}

export function column(table: Table, name: string): TableColumn {
  const c = table.columns.get(name);
  if (!c) throw new Error(`${table.source} has no column '${name}'`); // callers check requireColumns first
  return c;
}

/** Every listed column must be present (extra columns are fine unless a grader says otherwise). */
export function requireColumns(sub: Table, names: readonly string[]): void {
  const missing = names.filter((n) => !sub.columns.has(n));
  if (missing.length === 0) return;
  throw new InvalidSubmission(
    `the submission has no column ${quoteList(missing)}; its header is ${quoteList(sub.header)} but must include ${quoteList(names)}`,
  );
}

/** The submission's columns must be exactly these (any order): no missing and no extra column. */
export function requireExactColumns(sub: Table, names: readonly string[]): void {
  const expected = new Set(names);
  const missing = names.filter((n) => !sub.columns.has(n));
  const extra = sub.header.filter((n) => !expected.has(n));
  if (missing.length === 0 && extra.length === 0) return;
  const parts: string[] = [];
  if (missing.length) parts.push(`missing column ${quoteList(missing)}`);
  if (extra.length) {
    const hint = extra.some((n) => n.startsWith("Unnamed: ")) ? " (an unnamed column usually means the index was written: use index=False)" : "";
    parts.push(`extra column ${quoteList(extra)}${hint}`);
  }
  throw new InvalidSubmission(`the submission must have exactly the columns ${quoteList(names)}: ${parts.join("; ")}`);
}

export function requireRowCount(sub: Table, expected: number): void {
  if (sub.rowCount === expected) return;
  throw new InvalidSubmission(`the submission has ${sub.rowCount} data rows but the test set has ${expected}: write exactly one row per test id`);
}

/** "row 12 (id 'abc')" — 1-based data row (the header is not counted), with the row's id when known. */
export function rowLabel(sub: Table, row: number, idColumn?: string): string {
  const ids = idColumn ? sub.columns.get(idColumn) : undefined;
  return ids ? `row ${row + 1} (${idColumn} ${ids.raw[row]})` : `row ${row + 1}`;
}

/**
 * The numbers of a submission column (booleans read as 1 / 0, as pandas.to_numeric does). A missing cell,
 * text or an infinity is rejected, naming the row, its id and the cell.
 */
export function numericColumn(sub: Table, name: string, idColumn?: string): number[] {
  const c = column(sub, name);
  for (let i = 0; i < sub.rowCount; i++) {
    if (c.missing[i]) throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: the value is missing (${JSON.stringify(c.raw[i])}); every row needs a number`);
    // In a text column most cells may be fine numbers: point at the first one that is not.
    const v = c.kind === "text" ? (parseNumberCell(c.raw[i] as string) ?? Number.NaN) : (c.numbers[i] as number);
    if (Number.isNaN(v)) throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: ${JSON.stringify(c.raw[i])} is not a number`);
    if (!Number.isFinite(v)) throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: ${c.raw[i]} is not a finite number`);
  }
  return c.numbers.slice();
}

export function requireInRange(sub: Table, name: string, values: readonly number[], lo: number, hi: number, idColumn: string | undefined, why: string): void {
  const i = values.findIndex((v) => !(v >= lo && v <= hi));
  if (i < 0) return;
  throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: ${column(sub, name).raw[i]} is outside [${lo}, ${hi}]; ${why}`);
}

/** Code-point order, as Python compares strings (JavaScript's `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Answer rows sorted by id (stable), as MLE-bench sorts both frames before comparing them. */
function sortedRows(ids: TableColumn, n: number): number[] {
  const rows = Array.from({ length: n }, (_, i) => i);
  if (ids.kind === "text") return rows.sort((a, b) => compareCodePoints(ids.raw[a] as string, ids.raw[b] as string));
  return rows.sort((a, b) => (ids.numbers[a] as number) - (ids.numbers[b] as number));
}

export interface Alignment {
  /** answers[i] pairs with submission[i]: row indices, in the answers' id order. */
  answers: number[];
  submission: number[];
}

/**
 * Pair submission rows with answer rows by id. The two id columns must hold the same multiset of ids
 * (MLE-bench sorts both by id and requires the sorted columns to be equal). Errors name the first offending
 * rows and ids: an id that is not in the test set, an id given too often, a test id with no row.
 */
export function alignById(sub: Table, answers: Table, idColumn: string): Alignment {
  const subIds = column(sub, idColumn);
  const ansIds = column(answers, idColumn);
  const waiting = new Map<string, number[]>(); // answer key -> answer rows not yet matched (sorted order)
  const order = sortedRows(ansIds, answers.rowCount);
  for (const r of order) {
    const key = cellKey(ansIds, r);
    if (key === undefined) throw new Error(`${answers.source}: row ${r + 1} has no ${idColumn}`);
    const list = waiting.get(key);
    if (list) list.push(r);
    else waiting.set(key, [r]);
  }
  const partner = new Map<number, number>(); // answer row -> submission row
  const unknown: string[] = [];
  const excess = new Map<string, number[]>();
  const firstRowOf = new Map<string, number>();
  for (let i = 0; i < sub.rowCount; i++) {
    const key = cellKey(subIds, i);
    if (key === undefined) throw new InvalidSubmission(`column '${idColumn}', row ${i + 1}: the id is missing; every row needs one of the test set's ids`);
    const list = waiting.get(key);
    if (list === undefined) {
      unknown.push(`row ${i + 1} has ${JSON.stringify(subIds.raw[i])}`);
      continue;
    }
    const r = list.shift();
    if (r === undefined) {
      const rows = excess.get(key) ?? [firstRowOf.get(key) as number];
      rows.push(i);
      excess.set(key, rows);
      continue;
    }
    if (!firstRowOf.has(key)) firstRowOf.set(key, i);
    partner.set(r, i);
  }
  if (unknown.length) {
    const kindHint =
      subIds.kind !== ansIds.kind && !(subIds.kind === "numeric" && ansIds.kind === "bool")
        ? ` (the test ids are ${ansIds.kind === "text" ? "text" : "numbers"}, the submission's are ${subIds.kind === "text" ? "text" : "numbers"})`
        : "";
    throw new InvalidSubmission(`column '${idColumn}' holds ids that are not in the test set${kindHint}: ${listSome(unknown)}; copy the ids from the test file or the sample submission`);
  }
  if (excess.size) {
    const dup = [...excess.values()].map((rows) => `${JSON.stringify(subIds.raw[rows[0] as number])} in rows ${rows.map((r) => r + 1).join(", ")}`);
    throw new InvalidSubmission(`column '${idColumn}' repeats ids: ${listSome(dup)}; write each test id exactly once`);
  }
  const missing = order.filter((r) => !partner.has(r)).map((r) => JSON.stringify(ansIds.raw[r]));
  if (missing.length) {
    throw new InvalidSubmission(`the submission has no row for ${missing.length} test id${missing.length > 1 ? "s" : ""} in '${idColumn}': ${listSome(missing)}`);
  }
  return { answers: order, submission: order.map((r) => partner.get(r) as number) };
}

export function pick<T>(values: readonly T[], rows: readonly number[]): T[] {
  return rows.map((r) => values[r] as T);
}
