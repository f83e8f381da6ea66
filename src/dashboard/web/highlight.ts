/**
 * Python syntax highlighting by a small tokenizer (comments, strings, numbers, keywords, builtins, decorators):
 * the program is cut into classed text runs, line by line, for DOM text nodes. Good enough to read; never HTML.
 */

export interface Run {
  text: string;
  cls: string | null;
}

const KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case".split(
    " ",
  ),
);
const BUILTINS = new Set(
  "print len range open int float str list dict set tuple enumerate zip map filter sorted sum min max abs round isinstance super object Exception ValueError KeyError".split(
    " ",
  ),
);

const TOKEN =
  /(#[^\n]*)|([rRbBuUfF]{0,2}(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?))|(\b\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?\b)|(@[A-Za-z_][\w.]*)|([A-Za-z_]\w*)/g;

/** The program's lines, each a list of runs. */
export function highlightPython(code: string): Run[][] {
  const runs: Run[] = [];
  let at = 0;
  for (const m of code.matchAll(TOKEN)) {
    const i = m.index;
    if (i > at) runs.push({ text: code.slice(at, i), cls: null });
    const [whole, comment, string, number, decorator, word] = m;
    let cls: string | null = null;
    if (comment !== undefined) cls = "tok-comment";
    else if (string !== undefined) cls = "tok-string";
    else if (number !== undefined) cls = "tok-number";
    else if (decorator !== undefined) cls = "tok-decorator";
    else if (word !== undefined) cls = KEYWORDS.has(word) ? "tok-keyword" : BUILTINS.has(word) ? "tok-builtin" : null;
    runs.push({ text: whole, cls });
    at = i + whole.length;
  }
  if (at < code.length) runs.push({ text: code.slice(at), cls: null });
  const lines: Run[][] = [[]];
  for (const r of runs) {
    const parts = r.text.split("\n");
    parts.forEach((p, k) => {
      if (k > 0) lines.push([]);
      if (p.length) lines[lines.length - 1]!.push({ text: p, cls: r.cls });
    });
  }
  return lines;
}
