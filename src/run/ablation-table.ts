/**
 * The ablation study's tables (pure, but for reading each run's store): per task and variant the report-split
 * score of the evaluated runs, mean ± standard error over seeds; per task and ablation whether the paper's
 * direction holds (the full method ahead); and per variant the signals each idea should move — the drift of
 * sampled programs' Δt (duration weighting), the valid share early in training (instrumentation), and how often an
 * improve attempt beats its parent against how often a scratch attempt beats the same parent (improve prompts).
 */
import type { EvalResult } from "../eval/result.js";
import { meanSem, type MeanSem } from "../report/compare.js";
import { RunStore, type StoredRollout } from "../store/run-store.js";
import { summarizeRun, type RunSummary } from "../rl/summary.js";
import type { AblationRun } from "./ablate.js";

export interface AblationCell extends MeanSem {
  /** Each seed's mean selected report-split score (seeds without a valid selection are left out). */
  perSeed: number[];
  validRate: number | null;
}

/** Whether the full method is ahead of an ablation on a task, by how much (in the task's direction). */
export interface Direction {
  holds: boolean | null;
  /** Full method's mean minus the ablation's, signed so that positive means the full method is better. */
  margin: number | null;
}

/** How often an improve attempt beats its parent, beside how often a scratch attempt beats the same parent. */
export interface ImproveSignal {
  improve: MeanSem;
  scratch: MeanSem;
  pairs: number;
}

export interface EffectSignals {
  /** Mean Δt of sampled programs in the last fifth over the first fifth of training, per seed. */
  dtDrift: MeanSem;
  /** Valid share of the first fifth of training, per seed. */
  earlyValid: MeanSem;
  improveBeatsParent: ImproveSignal | null;
}

export interface AblationTable {
  tasks: string[];
  variants: string[];
  /** cells[task][variant] */
  cells: Record<string, Record<string, AblationCell>>;
  /** direction[task][ablation]: the full method ("rl") against each other variant. */
  direction: Record<string, Record<string, Direction>>;
  effects: Record<string, EffectSignals>;
  markdown: string;
}

export interface AblationInput {
  variant: string;
  eval: EvalResult | undefined;
  summary?: RunSummary;
  /** The run's finished rollouts (for the improve signal). */
  rollouts?: readonly StoredRollout[];
}

const FULL = "rl";
const fmtMs = (m: MeanSem, digits: number, scale = 1) =>
  m.mean === null ? "–" : `${(m.mean * scale).toFixed(digits)}${m.sem === null ? "" : ` ± ${(m.sem * scale).toFixed(digits)}`}`;

/**
 * Per seed: the share of improve rollouts that beat their parent's reward, and the share of scratch rollouts of
 * the same task, started next after that improve rollout, that beat the same parent (what chance gives).
 */
export function improveRates(rollouts: readonly StoredRollout[]): { improve: number; scratch: number; pairs: number } | null {
  const byId = new Map(rollouts.map((r) => [r.id, r]));
  const scratch = rollouts.filter((r) => r.kind === "scratch" && r.record).sort((a, b) => a.startedAt - b.startedAt || a.id - b.id);
  let pairs = 0;
  let improveWins = 0;
  let scratchWins = 0;
  for (const r of rollouts) {
    if (r.kind !== "improve" || !r.record || r.parentId === null) continue;
    const parent = byId.get(r.parentId)?.record;
    const rival = scratch.find((s) => s.taskId === r.taskId && (s.startedAt > r.startedAt || (s.startedAt === r.startedAt && s.id > r.id)));
    if (!parent || !rival?.record) continue;
    pairs++;
    if (r.record.reward.reward > parent.reward.reward) improveWins++;
    if (rival.record.reward.reward > parent.reward.reward) scratchWins++;
  }
  return pairs === 0 ? null : { improve: improveWins / pairs, scratch: scratchWins / pairs, pairs };
}

export function tableOf(runs: readonly AblationInput[]): AblationTable {
  const variants = [...new Set(runs.map((r) => r.variant))];
  const tasks = [...new Set(runs.flatMap((r) => r.eval?.tasks.map((t) => t.taskId) ?? []))].sort();
  const lower = new Map(runs.flatMap((r) => r.eval?.tasks.map((t) => [t.taskId, t.lowerIsBetter] as const) ?? []));
  const cells: AblationTable["cells"] = {};
  const direction: AblationTable["direction"] = {};
  for (const task of tasks) {
    cells[task] = {};
    for (const v of variants) {
      const mine = runs.filter((r) => r.variant === v).flatMap((r) => r.eval?.tasks.filter((t) => t.taskId === task) ?? []);
      const perSeed = mine.map((t) => t.mean).filter((m): m is number => m !== null);
      const validRate = mine.length ? mine.reduce((a, t) => a + t.validRate, 0) / mine.length : null;
      cells[task]![v] = { ...meanSem(perSeed), perSeed, validRate };
    }
    direction[task] = {};
    const full = cells[task]![FULL];
    for (const v of variants.filter((x) => x !== FULL)) {
      const other = cells[task]![v]!;
      const sign = lower.get(task) ? -1 : 1;
      const margin = full?.mean != null && other.mean !== null ? sign * (full.mean - other.mean) : null;
      // A full method with a valid pick is ahead of an ablation with none.
      const holds = margin !== null ? margin > 0 : full?.mean != null ? true : other.mean !== null ? false : null;
      direction[task]![v] = { holds, margin };
    }
  }
  const effects: AblationTable["effects"] = {};
  for (const v of variants) {
    const mine = runs.filter((r) => r.variant === v);
    const sums = mine.map((r) => r.summary).filter((s): s is RunSummary => s !== undefined && s.rollouts > 0);
    const rates = mine.map((r) => (r.rollouts ? improveRates(r.rollouts) : null)).filter((x) => x !== null);
    effects[v] = {
      dtDrift: meanSem(sums.filter((s) => s.first.meanDt > 0).map((s) => s.last.meanDt / s.first.meanDt)),
      earlyValid: meanSem(sums.map((s) => s.first.validShare)),
      improveBeatsParent: rates.length
        ? {
            improve: meanSem(rates.map((x) => x.improve)),
            scratch: meanSem(rates.map((x) => x.scratch)),
            pairs: rates.reduce((a, x) => a + x.pairs, 0),
          }
        : null,
    };
  }
  return { tasks, variants, cells, direction, effects, markdown: markdownOf(tasks, variants, cells, direction, effects) };
}

function markdownOf(
  tasks: readonly string[],
  variants: readonly string[],
  cells: AblationTable["cells"],
  direction: AblationTable["direction"],
  effects: AblationTable["effects"],
): string {
  const row = (xs: readonly string[]) => `| ${xs.join(" | ")} |`;
  const rule = (n: number) => `|${Array.from({ length: n }, () => "---").join("|")}|`;
  const seeds = Math.max(0, ...tasks.flatMap((t) => variants.map((v) => cells[t]![v]!.n)));
  const out = [
    `Selected solutions' report-split score, mean ± SEM over seeds (up to ${seeds}), with the share of valid selections:`,
    "",
    row(["task", ...variants]),
    rule(variants.length + 1),
    ...tasks.map((t) =>
      row([
        t,
        ...variants.map((v) => {
          const c = cells[t]![v]!;
          return c.mean === null ? "–" : `${fmtMs(c, 4)} (valid ${c.validRate === null ? "–" : (c.validRate * 100).toFixed(0)}%)`;
        }),
      ]),
    ),
  ];
  const ablations = variants.filter((v) => v !== FULL);
  if (variants.includes(FULL) && ablations.length) {
    const held = ablations.map((v) => tasks.filter((t) => direction[t]![v]!.holds === true).length);
    out.push(
      "",
      "Does the paper's direction hold (the full method ahead of the ablation)? The margin is in the task's metric, positive when the full method is better:",
      "",
      row(["task", ...ablations.map((v) => `rl vs ${v}`)]),
      rule(ablations.length + 1),
      ...tasks.map((t) =>
        row([
          t,
          ...ablations.map((v) => {
            const d = direction[t]![v]!;
            if (d.holds === null) return "–";
            return `${d.holds ? "yes" : "no"}${d.margin === null ? "" : ` (${d.margin >= 0 ? "+" : ""}${d.margin.toFixed(4)})`}`;
          }),
        ]),
      ),
      row(["**tasks where it holds**", ...held.map((n) => `**${n} of ${tasks.length}**`)]),
    );
  }
  const imp = (v: string) => {
    const s = effects[v]!.improveBeatsParent;
    return s ? `${fmtMs(s.improve, 0, 100)}% vs ${fmtMs(s.scratch, 0, 100)}% (${s.pairs} pairs)` : "–";
  };
  out.push(
    "",
    "What each idea should move, mean ± SEM over seeds:",
    "",
    row(["signal", ...variants]),
    rule(variants.length + 1),
    row([
      "Δt of sampled programs, last fifth / first fifth (duration weighting: no drift toward fast programs)",
      ...variants.map((v) => fmtMs(effects[v]!.dtDrift, 2)),
    ]),
    row([
      "valid share, first fifth of training (instrumentation: more valid programs early)",
      ...variants.map((v) => `${fmtMs(effects[v]!.earlyValid, 0, 100)}%`),
    ]),
    row(["improve beats its parent vs the next scratch attempt beats it (improve prompts)", ...variants.map(imp)]),
  );
  return `${out.join("\n")}\n`;
}

/** The tables of a finished study, reading each run's training summary and rollouts from its store. */
export function ablationTable(runs: readonly AblationRun[]): AblationTable {
  return tableOf(
    runs.map((r) => {
      const store = RunStore.openReadonly(r.runDir);
      try {
        const lower = new Map(r.eval?.tasks.map((t) => [t.taskId, t.lowerIsBetter]) ?? []);
        return {
          variant: r.variant,
          eval: r.eval,
          summary: summarizeRun(store, (id) => lower.get(id) ?? false),
          rollouts: store.rollouts().filter((x) => x.record !== null),
        };
      } finally {
        store.close();
      }
    }),
  );
}
