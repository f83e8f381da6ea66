/**
 * The main job: the full method against the search baselines at equal budget, seed by seed. For each seed, RL
 * trains the built-in policy for a wall-clock budget and then runs the test-time procedure; the time both took
 * on the run's executors is the budget each baseline then gets, on as many executors. Every step leaves its
 * results in its own run directory (<out>/<method>/seed-<s>), so a stopped pipeline continues where it left
 * off when started again on the same --out; the report compares what each method would submit.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { RunConfig, withOverrides, type BaselineMethod, type EnvConfig, type RunConfigInput } from "../core/config.js";
import type { EvalResult } from "../eval/result.js";
import { RunStore } from "../store/run-store.js";
import { readEval, runState } from "./ablate.js";
import { train } from "./train.js";

export interface PipelinePlan {
  outDir: string;
  tasks: string[];
  seeds: number[];
  /** RL's training budget per seed, wall-clock minutes. */
  trainMinutes: number;
  /** Test-time procedures per task after training (2 executions each). */
  evalSamples: number;
  baselines: BaselineMethod[];
  /** Concurrent executions of every method. */
  executors: number;
  /** Where programs run (the rest of the environment is training's default). */
  env: Partial<EnvConfig>;
}

/** Pure: the plan of a pipeline from its budget. */
export function pipelinePlan(opts: {
  outDir: string;
  tasks: string[];
  trainMinutes: number;
  evalSamples?: number;
  seeds: number;
  executors: number;
  baselines?: BaselineMethod[];
  env?: Partial<EnvConfig>;
}): PipelinePlan {
  return {
    outDir: opts.outDir,
    tasks: opts.tasks,
    seeds: Array.from({ length: opts.seeds }, (_, i) => i),
    trainMinutes: opts.trainMinutes,
    evalSamples: opts.evalSamples ?? 1,
    baselines: opts.baselines ?? ["aide", "random"],
    executors: opts.executors,
    env: opts.env ?? {},
  };
}

/** The run directory of a method and seed. */
export function runDirOf(plan: Pick<PipelinePlan, "outDir">, method: string, seed: number): string {
  return join(plan.outDir, method, `seed-${seed}`);
}

export interface PipelineSteps {
  /** The test-time procedure on a training run, starting at `clockOffsetSec` of its clock. */
  evaluate(runDir: string, seed: number, clockOffsetSec: number, signal?: AbortSignal): Promise<EvalResult>;
  /** A baseline search of one seed with a wall-clock budget in minutes. */
  baseline(method: BaselineMethod, runDir: string, seed: number, minutes: number, signal?: AbortSignal): Promise<EvalResult>;
  report(runDirs: string[], outDir: string): Promise<{ files: string[] }>;
}

export interface PipelineResult {
  /** Per seed, the wall-clock minutes RL used (training plus the test-time procedure): every baseline's budget. */
  budgets: Array<{ seed: number; minutes: number }>;
  report: { files: string[] } | undefined;
  stopped: boolean;
}

/** Seconds a run dir's store says it spent (training, or a search), plus its evaluation's. */
function spentSec(runDir: string): { trainSec: number; evalSec: number } {
  const read = (dir: string) => {
    if (!RunStore.exists(dir)) return 0;
    const store = RunStore.openReadonly(dir);
    try {
      return Number(store.getMeta("elapsed_sec") ?? 0);
    } finally {
      store.close();
    }
  };
  return { trainSec: read(runDir), evalSec: read(join(runDir, "eval")) };
}

export async function runPipeline(opts: {
  plan: PipelinePlan;
  dataDir: string;
  steps: PipelineSteps;
  trainOverrides?: RunConfigInput;
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<PipelineResult> {
  const { plan, steps, signal } = opts;
  const log = opts.log ?? (() => {});
  mkdirSync(plan.outDir, { recursive: true });
  const result: PipelineResult = { budgets: [], report: undefined, stopped: false };
  const stopped = () => (result.stopped = signal?.aborted ?? false);
  const total = plan.seeds.length;

  for (const [i, seed] of plan.seeds.entries()) {
    const tag = `seed ${seed} (${i + 1}/${total})`;
    const rlDir = runDirOf(plan, "rl", seed);
    const state = runState(rlDir);
    if (state !== "done") {
      log(`== ${tag}: training the built-in policy on ${plan.tasks.length} tasks for ${plan.trainMinutes} min (${rlDir}) ==`);
      const config = RunConfig.parse(
        withOverrides(
          { tasks: plan.tasks, seed, budget: { minutes: plan.trainMinutes }, env: plan.env, loop: { executors: plan.executors } },
          opts.trainOverrides ?? {},
        ),
      );
      await train({ runDir: rlDir, config, dataDir: opts.dataDir, resume: state === "partial", ...(signal ? { signal } : {}), log });
      if (stopped()) return result;
    }
    if (!readEval(rlDir)) {
      log(`== ${tag}: the test-time procedure (${plan.evalSamples} per task: scratch, one improvement, keep the better) ==`);
      await steps.evaluate(rlDir, seed, spentSec(rlDir).trainSec, signal);
      if (stopped()) return result;
    }
    const spent = spentSec(rlDir);
    const minutes = (spent.trainSec + spent.evalSec) / 60;
    result.budgets.push({ seed, minutes });
    for (const method of plan.baselines) {
      const dir = runDirOf(plan, method, seed);
      if (readEval(dir)) continue;
      log(`== ${tag}: baseline ${method} for ${minutes.toFixed(2)} min on ${plan.executors} executor(s), RL's budget (${dir}) ==`);
      await steps.baseline(method, dir, seed, minutes, signal);
      if (stopped()) return result;
    }
  }
  log(`== report (${join(plan.outDir, "report")}) ==`);
  const dirs = ["rl", ...plan.baselines].flatMap((m) => plan.seeds.map((s) => runDirOf(plan, m, s))).filter((d) => existsSync(d));
  result.report = await steps.report(dirs, join(plan.outDir, "report"));
  return result;
}
