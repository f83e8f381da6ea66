import { meanStd } from "../eval/result.js";
import type { AblationRun } from "./ablate.js";
import { RunStore } from "../store/run-store.js";
import { summarizeRun, type RunSummary } from "../rl/summary.js";

export interface AblationCell {
  /** Mean ± std over seeds of each seed's mean selected test score. */
  mean: number | null;
  std: number | null;
  seeds: number;
  validRate: number | null;
}

export interface AblationTable {
  tasks: string[];
  variants: string[];
  /** cells[task][variant] */
  cells: Record<string, Record<string, AblationCell>>;
  /** Per variant: mean Δt of sampled programs in the first and last fifth of training, averaged over seeds. */
  dt: Record<string, { first: number; last: number }>;
  markdown: string;
}

const fmt = (x: number | null, digits = 4) => (x === null ? "-" : x.toFixed(digits));

/** Pure: the paper's ablation table (task × variant, mean ± std over seeds) from evaluated runs and their summaries. */
export function tableOf(runs: readonly { variant: string; eval: AblationRun["eval"]; summary?: RunSummary }[]): AblationTable {
  const variants = [...new Set(runs.map((r) => r.variant))];
  const tasks = [...new Set(runs.flatMap((r) => r.eval?.tasks.map((t) => t.taskId) ?? []))].sort();
  const cells: AblationTable["cells"] = {};
  for (const task of tasks) {
    cells[task] = {};
    for (const v of variants) {
      const mine = runs
        .filter((r) => r.variant === v)
        .map((r) => r.eval?.tasks.find((t) => t.taskId === task))
        .filter((t) => t !== undefined);
      const means = mine.map((t) => t.mean).filter((m): m is number => m !== null);
      const { mean, std } = meanStd(means);
      const valid = mine.length ? mine.reduce((a, t) => a + t.validRate, 0) / mine.length : null;
      cells[task]![v] = { mean, std, seeds: means.length, validRate: valid };
    }
  }
  const dt: AblationTable["dt"] = {};
  for (const v of variants) {
    const sums = runs.filter((r) => r.variant === v && r.summary && r.summary.rollouts > 0).map((r) => r.summary!);
    if (sums.length)
      dt[v] = {
        first: sums.reduce((a, s) => a + s.first.meanDt, 0) / sums.length,
        last: sums.reduce((a, s) => a + s.last.meanDt, 0) / sums.length,
      };
  }
  const head = `| task | ${variants.join(" | ")} |\n|---|${variants.map(() => "---").join("|")}|`;
  const rows = tasks.map(
    (t) =>
      `| ${t} | ${variants
        .map((v) => {
          const c = cells[t]![v]!;
          return c.mean === null
            ? "-"
            : `${fmt(c.mean)} ± ${fmt(c.std)} (valid ${c.validRate === null ? "-" : (c.validRate * 100).toFixed(0)}%)`;
        })
        .join(" | ")} |`,
  );
  const dtRow = `| mean Δt of sampled programs, first → last fifth of training | ${variants.map((v) => (dt[v] ? `${dt[v]!.first.toFixed(2)} s → ${dt[v]!.last.toFixed(2)} s` : "-")).join(" | ")} |`;
  return { tasks, variants, cells, dt, markdown: [head, ...rows, dtRow].join("\n") + "\n" };
}

/** The table of a finished study, reading each run's training summary from its store. */
export function ablationTable(runs: readonly AblationRun[]): AblationTable {
  return tableOf(
    runs.map((r) => {
      const store = RunStore.openReadonly(r.runDir);
      try {
        const lower = new Map(r.eval?.tasks.map((t) => [t.taskId, t.lowerIsBetter]) ?? []);
        return { variant: r.variant, eval: r.eval, summary: summarizeRun(store, (id) => lower.get(id) ?? false) };
      } finally {
        store.close();
      }
    }),
  );
}
