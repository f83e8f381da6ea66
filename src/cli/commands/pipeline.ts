import { resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { runBaseline } from "../../baselines/search-run.js";
import { evaluatePolicy } from "../../eval/evaluate.js";
import { pipelinePlan, runPipeline, type BaselineMethod } from "../../run/pipeline.js";
import { buildReport } from "../../report/build.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { assertRealExecutor, dataDirOf, defaultRunDir, interruptOnSigint, positiveFlag } from "../options.js";
import { reportTaskLookup } from "./report.js";

interface PipelineOptions {
  task?: string[];
  trainMinutes: string;
  evalSamples: string;
  evalSeeds: string;
  baselines: string;
  executor: string;
  out?: string;
}

export function registerPipeline(program: Command): void {
  program
    .command("pipeline")
    .description(
      "the main job: train the built-in policy, evaluate it (scratch + one improvement, keep the better), run the AIDE-style and random-search baselines on the same number of executions, and write the report (run it again with the same --out to continue a stopped pipeline)",
    )
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option("--train-minutes <m>", "training wall-clock budget", "8")
    .option("--eval-samples <n>", "test-time procedures (2 executions each) per task and seed", "2")
    .option("--eval-seeds <k>", "seeds of the evaluation and of the baselines", "2")
    .option("--baselines <list>", "comma-separated baselines to run: aide, random (or none)", "aide,random")
    .option("--executor <kind>", "sandbox | unsandboxed", "sandbox")
    .option("--out <dir>", "where the runs and the report go (default: ./runs/main-<time>)")
    .action(async (opts: PipelineOptions, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const tasks = opts.task ?? [...BUILTIN_TASK_IDS];
      for (const t of tasks) getTask(t, dataDir);
      assertRealExecutor(opts.executor);
      const executor = opts.executor;
      const baselines = opts.baselines === "none" ? [] : opts.baselines.split(",").map((s) => s.trim());
      for (const b of baselines)
        if (b !== "aide" && b !== "random")
          throw new UserError(`--baselines: unknown baseline '${b}'`, "use aide, random, aide,random or none");
      const outDir = opts.out ? resolve(opts.out) : defaultRunDir("main");
      const plan = pipelinePlan({
        outDir,
        tasks,
        trainMinutes: positiveFlag("--train-minutes", opts.trainMinutes),
        evalSamples: positiveFlag("--eval-samples", opts.evalSamples, { int: true }),
        evalSeeds: positiveFlag("--eval-seeds", opts.evalSeeds, { int: true }),
        baselines: baselines as BaselineMethod[],
        executor,
      });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      log(`main job in ${outDir} (run the same command with --out ${outDir} to continue it if stopped)`);
      const stop = interruptOnSigint(() => log("stopping cleanly (Ctrl-C again to quit at once); continue later with the same --out"));
      try {
        const result = await runPipeline({
          plan,
          dataDir,
          signal: stop.signal,
          log,
          steps: {
            evaluate: (runDir, signal) =>
              evaluatePolicy({
                policy: { kind: "run", runDir },
                taskIds: tasks,
                dataDir,
                samples: plan.evalSamples,
                seeds: plan.evalSeeds,
                executor,
                log,
                ...(signal ? { signal } : {}),
              }),
            // A search stopped half-way cannot continue its tree: the baseline's own restart starts it again.
            baseline: (method, runDir, signal) =>
              runBaseline({
                method,
                taskIds: tasks,
                dataDir,
                runDir,
                seeds: plan.evalSeeds,
                budget: { executions: plan.baselineExecutions },
                executor,
                restart: true,
                log,
                ...(signal ? { signal } : {}),
              }),
            report: async (dirs, out) => buildReport({ dirs, out, groupBy: "method", taskLookup: reportTaskLookup(dataDir) }),
          },
        });
        if (result.stopped) {
          log(`stopped; continue with: mlerl pipeline --out ${outDir}`);
          process.exitCode = 130;
          return;
        }
        process.stdout.write(`report: ${result.report?.files[0] ?? "(none)"}\n`);
      } finally {
        stop.dispose();
      }
    });
}
