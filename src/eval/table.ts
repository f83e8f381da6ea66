import type { EvalResult } from "./result.js";

const fmt = (x: number | null, digits = 4) => (x === null ? "—" : x.toFixed(digits));
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** A plain-text table of an evaluation: one row per task (selected test score mean ± std over seeds, best-of-N, rates). */
export function formatEvalTable(result: EvalResult): string {
  const header = ["task", "metric", "mean ± std", "best-of-N", "valid", "any medal", "gold", "attempts"];
  const rows = result.tasks.map((t) => [
    t.taskId,
    `${t.metric} ${t.lowerIsBetter ? "↓" : "↑"}`,
    t.mean === null ? "—" : `${fmt(t.mean)} ± ${fmt(t.std)}`,
    t.bestOfN.mean === null ? "—" : `${fmt(t.bestOfN.mean)} ± ${fmt(t.bestOfN.std)}`,
    pct(t.validRate),
    pct(t.medalRates.any),
    pct(t.medalRates.gold),
    String(t.attempts.length),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const title =
    `${result.method}: ${result.seeds.length} seed(s) × ${result.samples} sample(s) per task` +
    (result.source.checkpoint ? ` (checkpoint ${result.source.checkpoint})` : "");
  return [title, line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
