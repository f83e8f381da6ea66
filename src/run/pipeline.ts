/**
 * The main job: train the built-in policy, evaluate it with the test-time procedure, run the search baselines on
 * the same number of executions as that evaluation, and write the report. Every step leaves its results in its
 * own run directory, so a stopped pipeline continues where it left off when started again on the same --out.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { EvalResult } from "../eval/result.js";
import { RunConfig, withOverrides, type BaselineMethod, type EnvConfig, type RunConfigInput } from "../core/config.js";
import { readEval, runState } from "./ablate.js";
import { train } from "./train.js";

export interface PipelinePlan {
  outDir: string;
  tasks: string[];
  trainMinutes: number;
  evalSamples: number;
  evalSeeds: number[];
  /** Executions each baseline gets per task and seed: as many as the evaluation spends (scratch + improve per sample). */
  baselineExecutions: number;
  baselines: BaselineMethod[];
  /** Where programs run (the rest of the environment is training's default). */
  env: Partial<EnvConfig>;
}

/** Pure: the plan of a pipeline from its budget, with the per-step run directories. */
export function pipelinePlan(opts: {
  outDir: string;
  tasks: string[];
  trainMinutes: number;
  evalSamples: number;
  evalSeeds: number;
  baselines?: BaselineMethod[];
  env?: Partial<EnvConfig>;
}): PipelinePlan & { dirs: { rl: string; report: string } & Record<BaselineMethod, string> } {
  return {
    outDir: opts.outDir,
    tasks: opts.tasks,
    trainMinutes: opts.trainMinutes,
    evalSamples: opts.evalSamples,
    evalSeeds: Array.from({ length: opts.evalSeeds }, (_, i) => i),
    baselineExecutions: 2 * opts.evalSamples,
    baselines: opts.baselines ?? ["aide", "random"],
    env: opts.env ?? {},
    dirs: {
      rl: join(opts.outDir, "rl"),
      aide: join(opts.outDir, "aide"),
      random: join(opts.outDir, "random"),
      report: join(opts.outDir, "report"),
    },
  };
}

export interface PipelineSteps {
  evaluate(runDir: string, signal?: AbortSignal): Promise<EvalResult>;
  baseline(method: BaselineMethod, runDir: string, signal?: AbortSignal): Promise<EvalResult>;
  report(runDirs: string[], outDir: string): Promise<{ files: string[] }>;
}

export interface PipelineResult {
  rl: EvalResult | undefined;
  baselines: Partial<Record<BaselineMethod, EvalResult>>;
  report: { files: string[] } | undefined;
  stopped: boolean;
}

export async function runPipeline(opts: {
  plan: ReturnType<typeof pipelinePlan>;
  dataDir: string;
  steps: PipelineSteps;
  trainOverrides?: RunConfigInput;
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<PipelineResult> {
  const { plan, steps, signal } = opts;
  const log = opts.log ?? (() => {});
  mkdirSync(plan.outDir, { recursive: true });
  const result: PipelineResult = { rl: undefined, baselines: {}, report: undefined, stopped: false };
  const stopped = () => (result.stopped = signal?.aborted ?? false);

  const rlState = runState(plan.dirs.rl);
  if (rlState !== "done") {
    log(`== 1/4 training the built-in policy on ${plan.tasks.length} tasks for ${plan.trainMinutes} min (${plan.dirs.rl}) ==`);
    const config = RunConfig.parse(
      withOverrides({ tasks: plan.tasks, budget: { minutes: plan.trainMinutes }, env: plan.env }, opts.trainOverrides ?? {}),
    );
    await train({ runDir: plan.dirs.rl, config, dataDir: opts.dataDir, resume: rlState === "partial", ...(signal ? { signal } : {}), log });
    if (stopped()) return result;
  }
  result.rl = readEval(plan.dirs.rl);
  if (!result.rl) {
    log(`== 2/4 evaluating the trained policy: ${plan.evalSamples} test-time procedure(s) × ${plan.evalSeeds.length} seed(s) per task ==`);
    result.rl = await steps.evaluate(plan.dirs.rl, signal);
    if (stopped()) return result;
  }
  for (const method of plan.baselines) {
    const dir = plan.dirs[method];
    let ev = readEval(dir);
    if (!ev) {
      log(`== 3/4 baseline ${method}: ${plan.baselineExecutions} executions per task and seed (${dir}) ==`);
      ev = await steps.baseline(method, dir, signal);
      if (stopped()) return result;
    }
    result.baselines[method] = ev;
  }
  log(`== 4/4 report (${plan.dirs.report}) ==`);
  const dirs = [plan.dirs.rl, ...plan.baselines.map((m) => plan.dirs[m])].filter((d) => existsSync(d));
  result.report = await steps.report(dirs, plan.dirs.report);
  return result;
}
