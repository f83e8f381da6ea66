/**
 * The paper's ablation study on equal budgets: the full method and each of its three ideas switched off, K seeds
 * each, every run trained and then evaluated by the same test-time procedure. Resumable: a variant/seed whose
 * run already finished is evaluated (or skipped) rather than trained again, an interrupted one is resumed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { METHOD_VARIANTS, RunConfig, withOverrides, type MethodVariant, type RunConfigInput } from "../core/config.js";
import { EvalResult } from "../eval/result.js";
import { parseJson, RunStore } from "../store/run-store.js";
import { train } from "./train.js";

export interface AblationBudget {
  /** Wall-clock minutes of training per run. */
  minutes?: number;
  /** Finished rollouts per run. */
  rollouts?: number;
}

export interface AblationPlanItem {
  variant: MethodVariant;
  seed: number;
  runDir: string;
  config: RunConfig;
}

/** Pure: which runs the study consists of, in the order they are run (seeds interleaved, so a cut study is balanced). */
export function ablationPlan(opts: {
  outDir: string;
  tasks: string[];
  seeds: number;
  variants: readonly MethodVariant[];
  budget: AblationBudget;
  base?: RunConfigInput;
}): AblationPlanItem[] {
  const plan: AblationPlanItem[] = [];
  for (let seed = 0; seed < opts.seeds; seed++) {
    for (const variant of opts.variants) {
      const budget = opts.budget.rollouts !== undefined ? { rollouts: opts.budget.rollouts } : { minutes: opts.budget.minutes ?? 5 };
      const config = RunConfig.parse(
        withOverrides(withOverrides(opts.base ?? {}, { tasks: opts.tasks, seed, budget }), METHOD_VARIANTS[variant]),
      );
      plan.push({ variant, seed, runDir: join(opts.outDir, variant, `seed-${seed}`), config });
    }
  }
  return plan;
}

export type RunState = "new" | "partial" | "done";

/** Whether a run dir holds nothing, an interrupted run, or a run that reached its budget. */
export function runState(runDir: string): RunState {
  if (!existsSync(join(runDir, "run.sqlite"))) return "new";
  const store = RunStore.openReadonly(runDir);
  try {
    if (store.getMeta("config") === undefined) return "new";
    const stoppedBy = store.getMeta("stopped_by");
    return stoppedBy === "rollouts" || stoppedBy === "time" ? "done" : "partial";
  } finally {
    store.close();
  }
}

export function readEval(runDir: string): EvalResult | undefined {
  const path = join(runDir, "eval.json");
  if (!existsSync(path)) return undefined;
  const parsed = parseJson(EvalResult, readFileSync(path, "utf8"));
  return parsed.ok ? parsed.value : undefined;
}

export interface AblationRun extends AblationPlanItem {
  eval: EvalResult | undefined;
}

/**
 * Runs the plan: trains each run to its budget (resuming interrupted ones), then calls `evaluate` on runs without
 * an eval.json. Stops early, leaving everything resumable, when the signal aborts.
 */
export async function runAblation(opts: {
  plan: AblationPlanItem[];
  dataDir: string;
  evaluate: (item: AblationPlanItem, signal?: AbortSignal) => Promise<EvalResult>;
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<AblationRun[]> {
  const log = opts.log ?? (() => {});
  const out: AblationRun[] = [];
  for (const [i, item] of opts.plan.entries()) {
    if (opts.signal?.aborted) break;
    const state = runState(item.runDir);
    const tag = `[${i + 1}/${opts.plan.length}] ${item.variant} seed ${item.seed}`;
    if (state !== "done") {
      log(`${tag}: ${state === "partial" ? "resuming" : "training"} (${item.runDir})`);
      const r = await train({
        runDir: item.runDir,
        config: item.config,
        dataDir: opts.dataDir,
        resume: state === "partial",
        ...(opts.signal ? { signal: opts.signal } : {}),
        log,
      });
      log(
        `${tag}: ${r.summary.rollouts} rollouts, reward ${r.summary.first.meanReward.toFixed(2)} → ${r.summary.last.meanReward.toFixed(2)}, valid ${(r.summary.first.validShare * 100).toFixed(0)}% → ${(r.summary.last.validShare * 100).toFixed(0)}%`,
      );
      if (opts.signal?.aborted) break;
    }
    let ev = readEval(item.runDir);
    if (!ev) {
      log(`${tag}: evaluating`);
      ev = await opts.evaluate(item, opts.signal);
      // Kept beside the run, so a resumed study does not evaluate it again.
      writeFileSync(join(item.runDir, "eval.json"), `${JSON.stringify(ev, null, 2)}\n`);
    }
    out.push({ ...item, eval: ev });
  }
  return out;
}
