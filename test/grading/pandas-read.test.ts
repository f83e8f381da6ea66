import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatCsv } from "../../src/io/csv.js";
import { gradeSubmission } from "../../src/grading/index.js";
import { Rng } from "../../src/util/random.js";
import { FACTS, validPair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile } from "./fixtures.js";
import { assertSameRead, oursRead, pandasRead } from "./pandas-read.js";

// Submissions are read as MLE-bench reads them: pandas.read_csv with its defaults (and round-trip floats). Each
// file here is read by the agent venv's real pandas and by mlerl's reader, and the two must agree.

const dir = makeDataDir();
let counter = 0;

function writeBytes(bytes: string | Buffer): string {
  const path = join(dir, `f${counter++}.csv`);
  writeFileSync(path, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
  return path;
}

const COMPETITION = "tabular-playground-series-may-2022";

/** Grade raw submission bytes against the answers of a valid tps-may pair; also the clean submission's score. */
function gradeBoth(rows: number, seed: number, render: (header: string[], rows: (string | number)[][]) => string | Buffer) {
  const facts = FACTS[COMPETITION]!;
  const id = `pandas-${counter++}`;
  const paths = taskPaths(dir, id);
  const pair = validPair(COMPETITION, seed, rows);
  writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
  const spec = makeSpec(COMPETITION, facts, undefined, id);
  const clean = gradeSubmission(spec, paths, writeCsvFile(join(dir, `${id}-clean.csv`), pair.submission));
  const submission = writeBytes(render(pair.submission.header, pair.submission.rows as (string | number)[][]));
  return { clean, report: gradeSubmission(spec, paths, submission), submission };
}

test("lines of only spaces or tabs are blank: a 300-row file with 3 such lines has 300 rows, as in pandas", () => {
  const { clean, report, submission } = gradeBoth(300, 11, (header, rows) => {
    const lines = [header.join(","), ...rows.map((r) => r.join(","))];
    lines.splice(50, 0, "   ");
    lines.splice(120, 0, "\t");
    lines.splice(200, 0, " \t ");
    return `${lines.join("\n")}\n`;
  });
  const [theirs] = pandasRead([submission]);
  const ours = oursRead(submission);
  assertSameRead("whitespace lines", ours, theirs!);
  assert.equal(ours.table?.rowCount, 300);
  assert.equal(report.valid_submission, true, report.error ?? "");
  assert.equal(report.score, clean.score);
});

test("R's row names (one more field per data row than the header) are pandas' implicit index; the columns line up", () => {
  const { clean, report, submission } = gradeBoth(200, 12, (header, rows) => {
    // write.table(df, sep=",") in R: a quoted header without a row-name column, each row led by its quoted name.
    const lines = [header.map((h) => `"${h}"`).join(","), ...rows.map((r, i) => [`"${i + 1}"`, ...r].join(","))];
    return `${lines.join("\n")}\n`;
  });
  const [theirs] = pandasRead([submission]);
  const ours = oursRead(submission);
  assertSameRead("row names", ours, theirs!);
  assert.equal(ours.table?.indexFields, 1);
  assert.deepEqual(ours.table?.header, ["id", "target"]);
  assert.equal(report.valid_submission, true, report.error ?? "");
  assert.equal(report.score, clean.score);
});

test('a quoted number followed by spaces ("0.05" ) is the number', () => {
  const { clean, report, submission } = gradeBoth(120, 13, (header, rows) => {
    const lines = [header.join(","), ...rows.map((r, i) => `${r[0]},"${r[1]}"${" ".repeat(1 + (i % 3))}`)];
    return `${lines.join("\r\n")}\r\n`;
  });
  const [theirs] = pandasRead([submission]);
  const ours = oursRead(submission);
  assertSameRead("quoted numbers with trailing spaces", ours, theirs!);
  assert.equal(ours.table?.columns.get("target")?.kind, "numeric");
  assert.equal(report.valid_submission, true, report.error ?? "");
  assert.equal(report.score, clean.score);
});

test("a file that is not UTF-8 is rejected with the offset of its first bad byte, as pandas cannot read it", () => {
  const latin1 = gradeBoth(40, 14, (header, rows) => {
    const text = formatCsv(
      [...header, "note"],
      rows.map((r, i) => [...r, i === 7 ? "café" : "plain"]),
    );
    return Buffer.from(text, "latin1");
  });
  const utf16 = gradeBoth(40, 15, (header, rows) =>
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(formatCsv(header, rows), "utf16le")]),
  );
  const theirs = pandasRead([latin1.submission, utf16.submission]);
  for (const [i, g] of [latin1, utf16].entries()) {
    const ours = oursRead(g.submission);
    assertSameRead(`not UTF-8 #${i}`, ours, theirs[i]!);
    assert.equal(g.report.valid_submission, false);
    assert.equal(g.report.submission_exists, true);
    assert.match(g.report.error ?? "", /is not valid UTF-8: byte \d+ \(0x[0-9a-f]{2}\).*write it as UTF-8/);
  }
  const bad = theirs[0]!;
  assert.equal(bad.error, "unicode");
  assert.match(latin1.report.error ?? "", new RegExp(`byte ${bad.bad} \\(0xe9\\)`));
  assert.match(utf16.report.error ?? "", /byte 0 \(0xff\).*UTF-16 little-endian/);
});

/** Small files probing one rule each (probed against pandas while writing the tokenizer). */
const EDGE_CASES: string[] = [
  "a,b,c\n1,2\n1,2,3\n",
  "a,b\n1,2\n3,4,5\n",
  "a,b\nr,1,2\n3,4\n",
  "a,b\nr,1,2\nq,3,4,5\n",
  "a,b,c\n1,2,3,4\n1\n5,6,7,8\n",
  "a,b,c\n1,2\n3,4,5,6\n",
  "a,b\n1,2\n\n\n3,4,5\n",
  'a,b\n1,"0.05"x\n',
  'a,b\n1,"ab\n',
  "a,b\r1,2\r\r3,4\r",
  "a,b\r\n1,2\r\n  \r\n3,4",
  "a,b\n1,2\n  ,3\n",
  '\ufeff"a",b\n1,2\n',
  "\ufeff\na,b\n1,2\n",
  "a,b\n1,2,\n",
  "a,b\nr,1\n",
  "a,b\n1,2\n\r,5\n",
  "a,b\r1,2\r,5\r",
  " \na,b\n1,2\n",
  "a,b\n1, 2\n",
  'a,b\n"x"y,"1"\n',
  "a,b\n\t\n1,2\n \t \n",
  "a\n\n",
  "a,b\n",
  "",
  "   \n",
  "a,b\n1,2\n3",
  'a,b\n1,"2""3"\n',
  'a,b\n1,"2"" 3" \n',
  'a,b\n1,x"y"\n',
  'a,b\n"1"\r,2\n',
  'a,b\n1,"a\rb"\n',
  "a,b\n1,2\n  x\n",
  '"a\nb",c\n1,2\n',
  'a,b\n1,"\n5"\n',
  "a,b\n1,\v5\n",
  "a,b\n1,\u00a05\n",
  "a,b\n1, True\n2,False\n",
  "a,b\n1,1_000\n",
  "a,b\n1,x\u0000y\n",
];

test("edge cases of splitting rows and fields are read as pandas reads them", () => {
  const paths = EDGE_CASES.map((c) => writeBytes(c));
  const theirs = pandasRead(paths);
  paths.forEach((p, i) =>
    assertSameRead(`case ${i} ${JSON.stringify(EDGE_CASES[i])}`, oursRead(p), theirs[i]!, Buffer.from(EDGE_CASES[i]!)),
  );
});

// Random small files built from the pieces that make CSV hard: quoting (doubled quotes, text after a closing
// quote, quotes inside unquoted fields), whitespace around cells and whole whitespace lines, blank lines, a
// BOM, CRLF / CR / LF line ends mixed, ragged rows (implicit index, short rows, long rows), bad UTF-8.
const CELLS = [
  "1",
  "-2",
  "+3",
  "0.5",
  "1e-3",
  "7.0",
  " 12",
  "13 ",
  "\t4",
  "1_000",
  "0x1A",
  "inf",
  "-Infinity",
  "+nan",
  "",
  "NA",
  "nan",
  "NULL",
  "None",
  "True",
  "false",
  "TRUE",
  "abc",
  "a b",
  "é",
  "\u00a05",
  'x"y',
  "12345678901",
];
const NAMES = ["id", "x", "y", "target", "", " ", "id", "a b", "é", "x.1"];
const BLANKS = ["", " ", "\t", "  \t ", " \t"];
const ENDS = ["\n", "\r\n", "\r"];

function randomField(rng: Rng): string {
  const cell = rng.next() < 0.1 ? rng.pick(["a,b", "two\nlines", 'say "hi"', "cr\rx", "0.05"]) : rng.pick(CELLS);
  const r = rng.next();
  if (r < 0.55) return cell;
  const quoted = `"${cell.replace(/"/g, '""')}"`;
  if (r < 0.8) return quoted;
  if (r < 0.9) return `${quoted}${rng.pick([" ", "  ", "\t", "x"])}`; // text after the closing quote
  return `${rng.pick([" ", "\t"])}${quoted}`; // a quote inside an unquoted field
}

function randomFile(rng: Rng): Buffer {
  const ncol = 1 + rng.int(4);
  const end = () => (rng.next() < 0.8 ? ENDS[0]! : rng.pick(ENDS));
  const fileEnd = rng.pick(ENDS);
  const lines: string[] = [];
  lines.push(Array.from({ length: ncol }, () => (rng.next() < 0.3 ? `"${rng.pick(NAMES)}"` : rng.pick(NAMES))).join(","));
  const nrow = rng.int(7);
  const implicitIndex = rng.next() < 0.15;
  for (let i = 0; i < nrow; i++) {
    let width = ncol + (implicitIndex ? 1 : 0);
    const ragged = rng.next();
    if (ragged < 0.08) width += 1;
    else if (ragged < 0.16) width = Math.max(1, width - 1);
    lines.push(Array.from({ length: width }, () => randomField(rng)).join(","));
    if (rng.next() < 0.12) lines.push(rng.pick(BLANKS));
  }
  let text = "";
  lines.forEach((l, i) => (text += i === lines.length - 1 ? l : l + end()));
  if (rng.next() < 0.7) text += fileEnd;
  if (rng.next() < 0.1) text = rng.pick(BLANKS) + end() + text;
  if (rng.next() < 0.1) text = `\ufeff${text}`;
  if (rng.next() < 0.03) text += '"unclosed,1';
  let bytes = Buffer.from(text, "utf8");
  if (rng.next() < 0.06) {
    const at = rng.int(bytes.length + 1);
    const junk = Buffer.from(rng.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xe9, 0x2c]]));
    bytes = Buffer.concat([bytes.subarray(0, at), junk, bytes.subarray(at)]);
  }
  return bytes;
}

test("randomized: 1,500 small generated CSVs are read by mlerl exactly as pandas reads them", (t) => {
  const rng = new Rng(20260514);
  const contents = Array.from({ length: 1500 }, () => randomFile(rng));
  const files = contents.map((c) => writeBytes(c));
  const theirs = pandasRead(files);
  const tally = new Map<string, number>();
  files.forEach((path, i) => {
    const p = theirs[i]!;
    const kind = p.error ?? (p.index > 0 ? "read, implicit index" : "read");
    tally.set(kind, (tally.get(kind) ?? 0) + 1);
    assertSameRead(`file ${i} ${JSON.stringify(contents[i]!.toString("latin1"))}`, oursRead(path), p, contents[i]);
  });
  t.diagnostic(`pandas outcomes: ${JSON.stringify(Object.fromEntries(tally))}`);
  // The generator must reach every outcome, or the comparison proves less than it claims.
  for (const kind of ["read", "read, implicit index", "fields", "unicode", "parser", "empty"]) {
    assert.ok((tally.get(kind) ?? 0) > 0, `no generated file ended as ${kind}: ${JSON.stringify([...tally])}`);
  }
  assert.ok((tally.get("read") ?? 0) > 700, `most files should be readable: ${JSON.stringify([...tally])}`);
});
