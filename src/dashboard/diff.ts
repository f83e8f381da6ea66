/**
 * A line diff of two programs (an improve rollout against its parent): the longest common subsequence of lines,
 * by dynamic programming over the lines between the common head and tail. Programs are a few hundred lines;
 * past MAX_CELLS the middle is shown as removed then added, which is still a correct (if coarse) diff.
 */
import type { DiffLine } from "./api.js";

const MAX_CELLS = 4_000_000;

export function lineDiff(oldText: string, newText: string): DiffLine[] {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const out: DiffLine[] = [];
  for (let i = 0; i < head; i++) out.push({ op: "same", text: a[i]!, a: i + 1, b: i + 1 });
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((t, i) => out.push({ op: "del", text: t, a: head + i + 1, b: null }));
    bm.forEach((t, j) => out.push({ op: "add", text: t, a: null, b: head + j + 1 }));
  } else {
    // lcs[i][j]: the LCS length of am[i..] and bm[j..], in one flat array.
    const lcs = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        lcs[i * (m + 1) + j] =
          am[i] === bm[j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: "same", text: am[i]!, a: head + i + 1, b: head + j + 1 });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
        out.push({ op: "add", text: bm[j]!, a: null, b: head + j + 1 });
        j++;
      } else {
        out.push({ op: "del", text: am[i]!, a: head + i + 1, b: null });
        i++;
      }
    }
  }
  for (let k = tail; k > 0; k--) out.push({ op: "same", text: a[a.length - k]!, a: a.length - k + 1, b: b.length - k + 1 });
  return out;
}
