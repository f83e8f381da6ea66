import { AnswersError } from "./answers.js";
import { cellKey, parseNumberCell, type CellKey, type Table, type TableColumn } from "./table.js";

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
    const hint = extra.some((n) => n.startsWith("Unnamed: "))
      ? " (an unnamed column usually means the index was written: use index=False)"
      : "";
    parts.push(`extra column ${quoteList(extra)}${hint}`);
  }
  throw new InvalidSubmission(`the submission must have exactly the columns ${quoteList(names)}: ${parts.join("; ")}`);
}

export function requireRowCount(sub: Table, expected: number): void {
  if (sub.rowCount === expected) return;
  throw new InvalidSubmission(
    `the submission has ${sub.rowCount} data rows but the test set has ${expected}: write exactly one row per test id`,
  );
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
    if (c.missing[i])
      throw new InvalidSubmission(
        `column '${name}', ${rowLabel(sub, i, idColumn)}: the value is missing (${JSON.stringify(c.raw[i])}); every row needs a number`,
      );
    // In a text column most cells may be fine numbers: point at the first one that is not.
    const v = c.kind === "text" ? (parseNumberCell(c.raw[i] as string) ?? Number.NaN) : (c.numbers[i] as number);
    if (Number.isNaN(v))
      throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: ${JSON.stringify(c.raw[i])} is not a number`);
    if (!Number.isFinite(v))
      throw new InvalidSubmission(`column '${name}', ${rowLabel(sub, i, idColumn)}: ${c.raw[i]} is not a finite number`);
  }
  return c.numbers.slice();
}

export function requireInRange(
  sub: Table,
  name: string,
  values: readonly number[],
  lo: number,
  hi: number,
  idColumn: string | undefined,
  why: string,
): void {
  const i = values.findIndex((v) => !(v >= lo && v <= hi));
  if (i < 0) return;
  throw new InvalidSubmission(
    `column '${name}', ${rowLabel(sub, i, idColumn)}: ${column(sub, name).raw[i]} is outside [${lo}, ${hi}]; ${why}`,
  );
}

/**
 * Code-point order, as Python compares strings. JavaScript's `<` compares UTF-16 units, which puts astral
 * characters (surrogate pairs) before U+E000..U+FFFF; remap the two ranges at the first difference.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
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
  const order = sortedRows(ansIds, answers.rowCount);
  const keys = order.map((r) => {
    const key = cellKey(ansIds, r);
    if (key === undefined) throw new AnswersError(`${answers.source}: row ${r + 1} has no ${idColumn}`);
    return key;
  });
  // Sorting puts equal ids next to each other: each key owns a run of positions, matched in order.
  const next = new Map<CellKey, number>();
  keys.forEach((key, p) => {
    if (!next.has(key)) next.set(key, p);
  });
  const matched = new Int32Array(order.length).fill(-1); // position in `order` -> submission row
  const unknown: string[] = [];
  const excess = new Map<CellKey, number[]>();
  // Numeric test ids but a text id column: the column is text because of a few cells that are not numbers.
  // Reading the rest as numbers lets the message name just those cells (the submission is invalid either way).
  const numericView = subIds.kind === "text" && ansIds.kind !== "text";
  for (let i = 0; i < sub.rowCount; i++) {
    const key = numericView && !subIds.missing[i] ? (parseNumberCell(subIds.raw[i] as string) ?? subIds.raw[i]) : cellKey(subIds, i);
    if (key === undefined)
      throw new InvalidSubmission(`column '${idColumn}', row ${i + 1}: the id is missing; every row needs one of the test set's ids`);
    const p = next.get(key);
    if (p === undefined) {
      unknown.push(`row ${i + 1} has ${JSON.stringify(subIds.raw[i])}`);
    } else if (p < keys.length && keys[p] === key) {
      matched[p] = i;
      next.set(key, p + 1);
    } else {
      const first = matched[p - 1] as number; // the run's last match, for the message
      excess.set(key, [...(excess.get(key) ?? [first]), i]);
    }
  }
  if (unknown.length) {
    const kindHint =
      subIds.kind !== ansIds.kind && !(subIds.kind === "numeric" && ansIds.kind === "bool")
        ? ` (the test ids are ${ansIds.kind === "text" ? "text" : "numbers"}, the submission's are ${subIds.kind === "text" ? "text" : "numbers"})`
        : "";
    throw new InvalidSubmission(
      `column '${idColumn}' holds ids that are not in the test set${kindHint}: ${listSome(unknown)}; copy the ids from the test file or the sample submission`,
    );
  }
  if (excess.size) {
    const dup = [...excess.values()].map(
      (rows) => `${JSON.stringify(subIds.raw[rows[0] as number])} in rows ${rows.map((r) => r + 1).join(", ")}`,
    );
    throw new InvalidSubmission(`column '${idColumn}' repeats ids: ${listSome(dup)}; write each test id exactly once`);
  }
  const missing: string[] = [];
  matched.forEach((row, p) => {
    if (row < 0) missing.push(JSON.stringify(ansIds.raw[order[p] as number]));
  });
  if (missing.length) {
    throw new InvalidSubmission(
      `the submission has no row for ${missing.length} test id${missing.length > 1 ? "s" : ""} in '${idColumn}': ${listSome(missing)}`,
    );
  }
  return { answers: order, submission: Array.from(matched) };
}

export function pick<T>(values: readonly T[], rows: readonly number[]): T[] {
  return rows.map((r) => values[r] as T);
}
