/**
 * Turning an LM response into a plan and one Python program.
 *
 * Rules, in order:
 * 1. Line endings are normalised (CRLF and lone CR become LF) and a leading BOM is dropped. A reasoning
 *    section ending in `</think>` is skipped when the answer after it has code.
 * 2. Fenced blocks are found: an opening line of three or more backticks or tildes (up to three spaces of
 *    indentation) with an optional language word, or a Python-labelled fence ending a prose line
 *    ("Here it is: ```python"); the block ends at a line of the same fence character at least
 *    as long, or at a fence glued to the end of a code line (`x = 1```), or at the end of the response
 *    (unterminated: typical when the model ran out of tokens).
 * 3. Candidates are the non-empty blocks labelled python, py, python3, py3 or ipython (any case). Only when
 *    there are none do unlabelled blocks count, and only those that look like Python.
 * 4. Among candidates the LONGEST wins (ties: a complete block over an unterminated one, then the later one).
 *    The instructions ask for one self-contained program, so when a response also carries a snippet (an
 *    example, one changed line) the full program is the longest block; a truncated long block is still the
 *    best guess at the program (and earns partial credit for whatever runs).
 * 5. No fenced candidate: if the response, from some line on, looks like Python, that tail is the code and
 *    the prose before it is the plan. Otherwise the response has no code (failure kind `no_code`).
 * The plan is the prose before the chosen block (or after it, when nothing precedes it), with other fenced
 * blocks left in. The code is dedented, stripped of blank edge lines and ends with one newline.
 */

export type CodeSource = "fenced" | "unterminated_fence" | "unfenced";

export interface ParsedResponse {
  ok: true;
  plan: string;
  code: string;
  /** Where the code came from, for diagnostics and reports. */
  source: CodeSource;
  /** How many fenced blocks the response had, of any language. */
  fencedBlocks: number;
}

export interface ResponseFailure {
  ok: false;
  kind: "no_code";
  message: string;
}

export type ResponseParse = ParsedResponse | ResponseFailure;

const PYTHON_LABELS = new Set(["python", "py", "python3", "py3", "ipython", "ipython3"]);

interface Block {
  label: string;
  /** Line index of the opening fence. */
  open: number;
  /** Line index of the closing fence, or lines.length when unterminated. */
  close: number;
  body: string;
  complete: boolean;
}

const OPEN_FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*\{?\.?([\w.+-]*)[^`]*$/;
/** "Here is the program: ```python" — an opening fence at the end of a prose line (Python labels only). */
const TRAILING_OPEN = /^.*\S[ \t]*(`{3,})[ \t]*(python3?|py3?|ipython3?)[ \t]*$/i;

function findBlocks(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = OPEN_FENCE.exec(lines[i] ?? "") ?? TRAILING_OPEN.exec(lines[i] ?? "");
    if (!m) {
      i += 1;
      continue;
    }
    const fence = m[1] ?? "```";
    const label = (m[2] ?? "").toLowerCase();
    const fenceChar = fence[0] ?? "`";
    const closeLine = new RegExp(`^\\s*\\${fenceChar}{${fence.length},}\\s*$`);
    const gluedClose = new RegExp(`^(.*\\S)\\${fenceChar}{${fence.length}}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    let complete = false;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? "";
      if (closeLine.test(line)) {
        complete = true;
        break;
      }
      const glued = gluedClose.exec(line);
      if (glued && !glued[1]!.includes(fenceChar.repeat(3))) {
        body.push(glued[1] ?? "");
        complete = true;
        break;
      }
      body.push(line);
    }
    blocks.push({ label, open: i, close: j, body: body.join("\n"), complete });
    i = j + 1;
  }
  return blocks;
}

// A line that only Python (or a comment/blank) would contain. Scored per line to tell code from prose.
const STRONG_START =
  /^(import\s+[A-Za-z_][\w.]*|from\s+[A-Za-z_.][\w.]*\s+import\s|def\s+\w+\s*\(|class\s+\w+\s*[(:]|if\s+__name__\s*==|#!|@\w)/;
const CODE_LINE = [
  /^\s*#/, // comment
  /^\s*(import|from|def|class|return|if|elif|else|for|while|try|except|finally|with|raise|assert|pass|break|continue|yield|lambda|global|nonlocal|del|async|await)\b/,
  /^\s*[A-Za-z_][\w.]*(\[[^\]]*\])*\s*(,\s*[A-Za-z_][\w.]*\s*)*(=|\+=|-=|\*=|\/=|:\s*[\w\[\]., |]+\s*=)/, // assignment
  /^\s*[A-Za-z_][\w.]*\s*\(.*\)?\s*$/, // call
  /^\s*[)\]}],?\s*$/, // closing bracket
  /^\s+\S/, // indented continuation
  /^\s*("""|''')/, // docstring
  /^\s*["'].*["'],?\s*$/, // string literal (in a list/dict continuation)
  /^\s*[\w.'"]+\s*:\s*.+,\s*$/, // dict entry continuation
];

function isCodeLine(line: string): boolean {
  if (line.trim() === "") return true;
  return CODE_LINE.some((re) => re.test(line));
}

/** Rough test: most non-blank lines read as Python and at least one line could only be Python. */
export function looksLikePython(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return false;
  const strong = lines.some((l) => STRONG_START.test(l.trim()) || /\bprint\s*\(/.test(l) || /^\s*\w+\s*=\s*\S/.test(l));
  if (!strong) return false;
  const codeLike = lines.filter(isCodeLine).length;
  return codeLike / lines.length >= 0.85;
}

function dedent(text: string): string {
  const lines = text.split("\n");
  let indent: number | undefined;
  for (const line of lines) {
    if (line.trim() === "") continue;
    const n = /^[ \t]*/.exec(line)?.[0].length ?? 0;
    indent = indent === undefined ? n : Math.min(indent, n);
  }
  if (!indent) return text;
  return lines.map((l) => (l.trim() === "" ? "" : l.slice(indent))).join("\n");
}

function finishCode(body: string): string {
  const lines = dedent(body).split("\n");
  while (lines.length > 0 && (lines[0] ?? "").trim() === "") lines.shift();
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop();
  return `${lines.map((l) => l.replace(/\s+$/, "")).join("\n")}\n`;
}

function splitUnfenced(lines: readonly string[]): { plan: string; code: string } | undefined {
  for (let start = 0; start < lines.length; start++) {
    const line = (lines[start] ?? "").trim();
    if (!STRONG_START.test(line) && !(start === 0 && looksLikePython(lines.join("\n")))) continue;
    // Prose after the program ("This should work.") is not part of it.
    let end = lines.length;
    while (end > start && ((lines[end - 1] ?? "").trim() === "" || !isCodeLine(lines[end - 1] ?? ""))) end -= 1;
    const rest = lines.slice(start, end).join("\n");
    if (looksLikePython(rest)) {
      return { plan: lines.slice(0, start).join("\n").trim(), code: rest };
    }
  }
  return undefined;
}

/**
 * Parse one response into `{ plan, code }`, or say why there is no code. Pure; never throws.
 * A reasoning section closed by `</think>` is skipped when the answer after it has code (drafts written while
 * thinking are not the answer); when only the reasoning has code, that code is used.
 */
export function parseResponse(response: string): ResponseParse {
  const text = response.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") return { ok: false, kind: "no_code", message: "the response is empty" };
  const thinkEnd = text.lastIndexOf("</think>");
  if (thinkEnd >= 0) {
    const answer = parseText(text.slice(thinkEnd + "</think>".length));
    if (answer.ok) return answer;
    return parseText(text.replace(/<\/?think>/g, ""));
  }
  return parseText(text);
}

function parseText(text: string): ResponseParse {
  if (text.trim() === "") return { ok: false, kind: "no_code", message: "the response is empty" };
  const lines = text.split("\n");
  const blocks = findBlocks(lines);
  const nonEmpty = blocks.filter((b) => b.body.trim() !== "");
  let candidates = nonEmpty.filter((b) => PYTHON_LABELS.has(b.label));
  if (candidates.length === 0) candidates = nonEmpty.filter((b) => b.label === "" && looksLikePython(b.body));

  if (candidates.length > 0) {
    let best = candidates[0]!;
    for (const b of candidates.slice(1)) {
      const longer = b.body.trim().length > best.body.trim().length;
      const tie = b.body.trim().length === best.body.trim().length;
      if (longer || (tie && (b.complete || !best.complete))) best = b;
    }
    const before = lines.slice(0, best.open).join("\n").trim();
    const after = lines
      .slice(best.close + 1)
      .join("\n")
      .trim();
    return {
      ok: true,
      plan: before !== "" ? before : after,
      code: finishCode(best.body),
      source: best.complete ? "fenced" : "unterminated_fence",
      fencedBlocks: blocks.length,
    };
  }

  // Fenced blocks of other languages (bash, text, csv) are never the program; look for unfenced code in the
  // prose around them only when there were no fences at all.
  if (blocks.length === 0) {
    const split = splitUnfenced(lines);
    if (split) return { ok: true, plan: split.plan, code: finishCode(split.code), source: "unfenced", fencedBlocks: 0 };
  }
  const labels = [...new Set(nonEmpty.map((b) => b.label || "unlabelled"))];
  const message =
    blocks.length === 0
      ? "the response has no code block and does not read as a Python program"
      : nonEmpty.length === 0
        ? "the response's code blocks are empty"
        : `the response has no Python code block (found: ${labels.join(", ")})`;
  return { ok: false, kind: "no_code", message };
}
