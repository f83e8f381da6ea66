/**
 * The data overview an agent sees before writing a program: the file tree of a task's public dir with sizes,
 * then a short preview of each readable file (CSV: row and column counts, column types, first rows; JSON: shape
 * and first item; text: first lines). Bounded in total length. Only the public dir is ever opened, and symbolic
 * links are listed, never followed, so nothing outside it (such as private/) can be read through one.
 */
import { open, lstat, readdir } from "node:fs/promises";
import { basename, extname, join, posix, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import { UserError } from "../errors.js";

export const DataOverviewOptions = z.object({
  /** Hard cap on the overview's length in characters. */
  maxChars: z.number().int().min(200).default(6000),
  /** Share of maxChars the file tree may take before it is cut; previews get the rest. */
  treeShare: z.number().min(0.1).max(0.9).default(0.35),
  /** Rows shown per table. */
  previewRows: z.number().int().min(0).default(3),
  /** Lines shown per text file. */
  textLines: z.number().int().min(0).default(5),
  /** Longer cells and JSON strings are cut to this many characters. */
  maxCellChars: z.number().int().min(4).default(60),
  /** Longer preview lines are cut to this many characters. */
  maxLineChars: z.number().int().min(20).default(240),
  /** Column names listed per table before "... N more". */
  maxColumnsListed: z.number().int().min(1).default(30),
  /** Entries listed at the top level before the rest is summarised. */
  maxTopEntries: z.number().int().min(1).default(40),
  /** Entries listed per subdirectory before the rest is summarised. */
  maxEntriesPerDir: z.number().int().min(1).default(5),
  /** Subdirectories of one directory whose contents are listed; the others show only their totals. */
  expandDirs: z.number().int().min(0).default(2),
  /** Files previewed in all. */
  maxPreviews: z.number().int().min(0).default(8),
  /** Files exactly counted (rows/lines) up to this size; larger ones are estimated from their head. */
  maxCountBytes: z
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024),
  /** Files listed but never previewed (the description is already in the prompt). */
  skipPreview: z.array(z.string()).default(["description.md"]),
  /** Where the agent sees the directory. */
  mountPoint: z.string().default("/home/data"),
});
export type DataOverviewOptions = z.input<typeof DataOverviewOptions>;
type Opts = z.output<typeof DataOverviewOptions>;

/** Walks stop after this many entries so a directory of millions of files cannot stall prompt building. */
const MAX_WALK_ENTRIES = 50_000;
const HEAD_BYTES = 256 * 1024;
const BINARY_EXT = new Set([
  ".jpg",
  ".jpeg",
  ".png",
  ".gif",
  ".bmp",
  ".tif",
  ".tiff",
  ".webp",
  ".npy",
  ".npz",
  ".zip",
  ".gz",
  ".bz2",
  ".xz",
  ".7z",
  ".tar",
  ".parquet",
  ".feather",
  ".pkl",
  ".pickle",
  ".h5",
  ".hdf5",
  ".wav",
  ".mp3",
  ".flac",
  ".mp4",
  ".pt",
  ".pth",
  ".bin",
  ".dcm",
  ".tfrecord",
]);

interface FileNode {
  kind: "file";
  rel: string;
  size: number;
}
interface LinkNode {
  kind: "link";
  rel: string;
}
interface DirNode {
  kind: "dir";
  rel: string;
  children: TreeNode[];
  files: number;
  bytes: number;
}
type TreeNode = FileNode | LinkNode | DirNode;

const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

async function walk(root: string, rel: string, budget: { left: number }): Promise<DirNode> {
  const dir: DirNode = { kind: "dir", rel, children: [], files: 0, bytes: 0 };
  const names = (await readdir(join(root, rel))).sort(byName);
  for (const name of names) {
    if (budget.left <= 0) break;
    budget.left -= 1;
    const childRel = rel === "" ? name : posix.join(rel, name);
    const st = await lstat(join(root, childRel));
    if (st.isSymbolicLink()) dir.children.push({ kind: "link", rel: childRel });
    else if (st.isDirectory()) {
      const sub = await walk(root, childRel, budget);
      dir.children.push(sub);
      dir.files += sub.files;
      dir.bytes += sub.bytes;
    } else if (st.isFile()) {
      dir.children.push({ kind: "file", rel: childRel, size: st.size });
      dir.files += 1;
      dir.bytes += st.size;
    }
  }
  return dir;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

function renderTree(dir: DirNode, opts: Opts, depth: number, out: string[]): void {
  const pad = "  ".repeat(depth + 1);
  const limit = depth === 0 ? opts.maxTopEntries : opts.maxEntriesPerDir;
  let expanded = 0;
  for (const c of dir.children.slice(0, limit)) {
    const name = basename(c.rel);
    if (c.kind === "file") out.push(`${pad}${name} (${formatBytes(c.size)})`);
    else if (c.kind === "link") out.push(`${pad}${name} (symbolic link, not followed)`);
    else {
      out.push(`${pad}${name}/ (${count(c.files, "file")}, ${formatBytes(c.bytes)})`);
      // Many sibling dirs usually share one layout (train/<id>/...): show the first few, not all.
      if (expanded < opts.expandDirs) renderTree(c, opts, depth + 1, out);
      expanded += 1;
    }
  }
  const rest = dir.children.slice(limit);
  if (rest.length > 0) {
    const exts = new Map<string, number>();
    for (const c of rest) {
      const key = c.kind === "dir" ? "directories" : extname(c.rel) || "(no extension)";
      exts.set(key, (exts.get(key) ?? 0) + 1);
    }
    const kinds = [...exts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${n} ${k}`)
      .join(", ");
    out.push(`${pad}... and ${rest.length.toLocaleString("en-US")} more (${kinds})`);
  }
}

/**
 * Column names with their types, numbered runs folded: `margin1 … margin64 (float, 64 columns)`, so wide
 * tables (leaf-classification has 192 features) read in one line.
 */
export function describeColumns(header: readonly string[], types: readonly string[], maxListed: number, maxName: number): string {
  interface Run {
    prefix: string;
    first: string;
    last: string;
    next: number;
    type: string;
    n: number;
  }
  const runs: Run[] = [];
  header.forEach((h, j) => {
    const type = types[j] ?? "str";
    const m = /^(.*?)(\d+)$/.exec(h);
    const prev = runs[runs.length - 1];
    if (m && prev && prev.n > 0 && prev.prefix === m[1] && prev.type === type && Number(m[2]) === prev.next && prev.prefix !== "\u0000") {
      prev.last = h;
      prev.next += 1;
      prev.n += 1;
      return;
    }
    runs.push({ prefix: m ? (m[1] ?? "") : "\u0000", first: h, last: h, next: m ? Number(m[2]) + 1 : NaN, type, n: 1 });
  });
  const parts = runs.map((r) =>
    r.n >= 3
      ? `${cut(r.first, maxName)} … ${cut(r.last, maxName)} (${r.type}, ${r.n} columns)`
      : [r.first, r.last]
          .slice(0, r.n)
          .map((c) => `${cut(c, maxName)} (${r.type})`)
          .join(", "),
  );
  const shown = parts.slice(0, maxListed).join(", ");
  return parts.length > maxListed ? `${shown}, ... ${parts.length - maxListed} more` : shown;
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Count records by streaming the file. CSV (`csv`): newlines outside double quotes end records and blank lines
 * are not records (as pandas reads them). Text: every line counts. A last line without a newline counts too.
 */
async function countRecords(path: string, csv: boolean): Promise<number> {
  const fh = await open(path, "r");
  const buf = Buffer.alloc(1 << 20);
  let records = 0;
  let inQuotes = false;
  let lineEmpty = true;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      let i = 0;
      // Next quote position, found once and reused until passed (a fresh search per newline is quadratic).
      let q = csv ? chunk.indexOf(0x22) : -1;
      while (i < chunk.length) {
        if (inQuotes) {
          if (q < 0) break;
          inQuotes = false;
          i = q + 1;
          q = chunk.indexOf(0x22, i);
          continue;
        }
        const nl = chunk.indexOf(0x0a, i);
        if (q >= 0 && (nl < 0 || q < nl)) {
          lineEmpty = false;
          inQuotes = true;
          i = q + 1;
          q = chunk.indexOf(0x22, i);
        } else if (nl >= 0) {
          const blank = nl === i || (nl === i + 1 && chunk[i] === 0x0d);
          if (!blank) lineEmpty = false;
          if (!lineEmpty || !csv) records += 1;
          lineEmpty = true;
          i = nl + 1;
        } else {
          lineEmpty = false;
          break;
        }
      }
    }
  } finally {
    await fh.close();
  }
  if (!lineEmpty) records += 1;
  return records;
}

/** Byte offset just after the last newline outside double quotes in buf, or 0 when there is none. */
function lastRecordEnd(buf: Buffer): number {
  let inQuotes = false;
  let end = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x22) inQuotes = !inQuotes;
    else if (b === 0x0a && !inQuotes) end = i + 1;
  }
  return end;
}

function isBinary(head: Buffer): boolean {
  return head.subarray(0, 8192).includes(0);
}

type ColType = "int" | "float" | "str" | "empty";

function inferType(values: readonly string[]): ColType {
  let seen: ColType = "empty";
  for (const v of values) {
    const t = v.trim();
    if (t === "") continue;
    if (/^[-+]?\d+$/.test(t)) {
      if (seen === "empty") seen = "int";
    } else if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || /^[-+]?(nan|inf|infinity)$/i.test(t)) {
      if (seen === "empty" || seen === "int") seen = "float";
    } else return "str";
  }
  return seen;
}

function csvLine(cells: readonly string[], opts: Opts, delimiter: string): string {
  const quoted = cells.map((c) => {
    const s = cut(c.replace(/\r?\n/g, " "), opts.maxCellChars);
    return s.includes(delimiter) || s.includes('"') ? `"${s.replace(/"/g, '""')}"` : s;
  });
  return cut(quoted.join(delimiter), opts.maxLineChars);
}

async function previewTable(path: string, size: number, opts: Opts, delimiter: string): Promise<string[]> {
  const head = await readHead(path, Math.min(size, HEAD_BYTES));
  // Parse only complete records: a head cut inside a quoted cell would otherwise be a parse error.
  const end = head.length === size ? head.length : lastRecordEnd(head);
  if (end <= 0) return [`(its first record is longer than ${formatBytes(HEAD_BYTES)}; not previewed)`];
  let records: string[][];
  try {
    records = parse(head.subarray(0, end).toString("utf8"), {
      bom: true,
      delimiter,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (e) {
    return [`(not parseable as ${delimiter === "\t" ? "TSV" : "CSV"}: ${cut(e instanceof Error ? e.message : String(e), 120)})`];
  }
  const [header, ...rows] = records;
  if (!header) return ["(empty)"];
  let rowCount: string;
  if (size <= opts.maxCountBytes) {
    const n = Math.max(0, (await countRecords(path, true)) - 1);
    rowCount = count(n, "row");
  } else {
    const perRecord = end / Math.max(1, records.length);
    rowCount = `about ${count(Math.round(size / perRecord) - 1, "row")} (estimated)`;
  }
  const types = header.map((_, j) => inferType(rows.map((r) => r[j] ?? "")));
  const columns = describeColumns(header, types, opts.maxColumnsListed, opts.maxCellChars);
  const lines = [`${rowCount}, ${count(header.length, "column")}: ${columns}`];
  if (opts.previewRows > 0 && rows.length === 0 && !rowCount.startsWith("0 rows")) {
    lines.push(`(its first row is longer than ${formatBytes(HEAD_BYTES)}; not previewed)`);
  }
  if (opts.previewRows > 0 && rows.length > 0) {
    lines.push(`first ${count(Math.min(opts.previewRows, rows.length), "row")}:`);
    lines.push(`  ${csvLine(header, opts, delimiter)}`);
    for (const r of rows.slice(0, opts.previewRows)) lines.push(`  ${csvLine(r, opts, delimiter)}`);
  }
  return lines;
}

function shortJson(value: unknown, opts: Opts, depth = 0): unknown {
  if (typeof value === "string") return cut(value, opts.maxCellChars);
  if (Array.isArray(value)) {
    const items = value.slice(0, 3).map((v) => shortJson(v, opts, depth + 1));
    return value.length > 3 ? [...items, `... ${value.length - 3} more`] : items;
  }
  if (value && typeof value === "object") {
    if (depth > 2) return "{...}";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shortJson(v, opts, depth + 1)]));
  }
  return value;
}

const MAX_JSON_PARSE_BYTES = 32 * 1024 * 1024;

async function previewJson(path: string, size: number, opts: Opts): Promise<string[] | undefined> {
  if (size > MAX_JSON_PARSE_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse((await readHead(path, size)).toString("utf8"));
  } catch {
    return undefined;
  }
  const keys = (o: object) => {
    const k = Object.keys(o);
    const shown = k.slice(0, opts.maxColumnsListed).join(", ");
    return k.length > opts.maxColumnsListed ? `${shown}, ... ${k.length - opts.maxColumnsListed} more` : shown;
  };
  const first = (v: unknown) => cut(JSON.stringify(shortJson(v, opts)), opts.maxLineChars * 2);
  if (Array.isArray(value)) {
    const head = value[0];
    if (head && typeof head === "object" && !Array.isArray(head)) {
      return [`JSON array of ${count(value.length, "object")}; keys of the first: ${keys(head)}`, `first item: ${first(head)}`];
    }
    return [`JSON array of ${count(value.length, "item")}`, ...(value.length > 0 ? [`first item: ${first(head)}`] : [])];
  }
  if (value && typeof value === "object") return [`JSON object with keys: ${keys(value)}`, first(value)];
  return [`JSON value: ${first(value)}`];
}

async function previewText(path: string, size: number, opts: Opts): Promise<string[]> {
  const head = (await readHead(path, Math.min(size, 64 * 1024))).toString("utf8");
  const lines = head.replace(/\r\n?/g, "\n").split("\n");
  // A final newline ends the last line; it does not start another.
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  const total = size <= opts.maxCountBytes ? count(await countRecords(path, false), "line") : "many lines";
  const out = [`${total}; first ${count(Math.min(opts.textLines, lines.length), "line")}:`];
  for (const l of lines.slice(0, opts.textLines)) out.push(`  ${cut(l, opts.maxLineChars)}`);
  return out;
}

async function previewFile(root: string, node: FileNode, opts: Opts): Promise<string[] | undefined> {
  const path = join(root, node.rel);
  const ext = extname(node.rel).toLowerCase();
  if (BINARY_EXT.has(ext) || node.size === 0) return undefined;
  if (isBinary(await readHead(path, Math.min(node.size, 8192)))) return undefined;
  if (ext === ".csv") return previewTable(path, node.size, opts, ",");
  if (ext === ".tsv") return previewTable(path, node.size, opts, "\t");
  if (ext === ".json") return (await previewJson(path, node.size, opts)) ?? previewText(path, node.size, opts);
  return previewText(path, node.size, opts);
}

function allFiles(dir: DirNode): FileNode[] {
  const out: FileNode[] = [];
  for (const c of dir.children) {
    if (c.kind === "file") out.push(c);
    else if (c.kind === "dir") out.push(...allFiles(c));
  }
  return out;
}

/** Top-level files first, the most useful (train, test, sample submission) before others; one per kind below. */
function previewOrder(files: readonly FileNode[], opts: Opts): FileNode[] {
  const rank = (f: FileNode) => {
    const name = basename(f.rel).toLowerCase();
    const depth = f.rel.split("/").length - 1;
    const role = /train/.test(name) ? 0 : /test/.test(name) ? 1 : /sample|submission/.test(name) ? 2 : 3;
    return depth * 10 + role;
  };
  const nestedKinds = new Set<string>();
  const chosen: FileNode[] = [];
  for (const f of [...files].sort((a, b) => rank(a) - rank(b) || byName(a.rel, b.rel))) {
    if (opts.skipPreview.includes(f.rel)) continue;
    if (f.rel.includes("/")) {
      const kind = extname(f.rel).toLowerCase() || basename(f.rel);
      if (nestedKinds.has(kind)) continue;
      nestedKinds.add(kind);
    }
    chosen.push(f);
  }
  return chosen;
}

/** Cut a block of lines to `max` characters, marking the cut. */
function fit(lines: readonly string[], max: number, marker: string): string {
  const text = lines.join("\n");
  if (text.length <= max) return text;
  const keep = Math.max(0, max - marker.length - 1);
  const cutAt = text.lastIndexOf("\n", keep);
  return `${text.slice(0, cutAt > 0 ? cutAt : keep)}\n${marker}`;
}

/**
 * The overview of a task's public dir, at most `maxChars` long. Throws a UserError for a missing dir or a dir
 * named `private` (the agent's answers must never be shown).
 */
export async function dataOverview(publicDir: string, options: DataOverviewOptions = {}): Promise<string> {
  const opts = DataOverviewOptions.parse(options);
  const root = resolve(publicDir);
  if (basename(root) === "private") {
    throw new UserError(
      `refusing to describe ${root}: it is a private dir`,
      "pass the task's public/ dir; private answers are never shown to the agent",
    );
  }
  let st;
  try {
    st = await lstat(root);
  } catch {
    throw new UserError(`task data dir ${root} does not exist`, "prepare the task first (mlerl tasks prepare ID)");
  }
  if (!st.isDirectory()) throw new UserError(`task data dir ${root} is not a directory`, "pass the task's public/ dir");

  const budget = { left: MAX_WALK_ENTRIES };
  const tree = await walk(root, "", budget);
  const treeLines = [`${opts.mountPoint.replace(/\/$/, "")}/ (${count(tree.files, "file")}, ${formatBytes(tree.bytes)})`];
  renderTree(tree, opts, 0, treeLines);
  if (budget.left <= 0) treeLines.push(`  (listing stopped after ${MAX_WALK_ENTRIES.toLocaleString("en-US")} entries)`);
  const treeText = fit(treeLines, Math.floor(opts.maxChars * opts.treeShare), "  ... (file list cut)");

  const parts = [`Files:\n${treeText}`];
  let used = parts[0]!.length;
  const files = previewOrder(allFiles(tree), opts);
  const previews: { rel: string; lines: string[] }[] = [];
  let attempted = 0;
  for (const f of files) {
    if (previews.length >= opts.maxPreviews) break;
    attempted += 1;
    const lines = await previewFile(root, f, opts);
    if (lines) previews.push({ rel: f.rel, lines });
  }
  // Split what is left evenly; a short preview leaves its unused share to the ones after it.
  let shown = 0;
  for (const p of previews) {
    const left = opts.maxChars - used - 2;
    const share = Math.floor(left / (previews.length - shown));
    if (share < 80) break;
    const titled = [`${p.rel}: ${p.lines[0] ?? ""}`, ...p.lines.slice(1)];
    const block = fit(titled, share, "  ... (preview cut)");
    parts.push(block);
    used += block.length + 2;
    shown += 1;
  }
  // Binary files are not counted: the tree already says what they are.
  const skipped = previews.length - shown + (files.length - attempted);
  if (skipped > 0) parts.push(`(${count(skipped, "more file")} not previewed)`);
  const text = parts.join("\n\n");
  return text.length <= opts.maxChars ? text : fit([text], opts.maxChars, "... (overview cut)");
}
