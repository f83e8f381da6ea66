import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Command } from "commander";
import type { BaselineMethod } from "../../core/config.js";
import { UserError } from "../../errors.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { numberArg } from "../flags.js";
import { addEnvFlags, dataDirOf, defaultRunDir, envFromFlags, interruptOnSigint } from "../options.js";
import { reportTaskLookup } from "./report.js";

interface PipelineOptions {
  task?: string[];
  trainMinutes: number;
  evalSamples: number;
  seeds: number;
  executors?: number;
  baselines: string;
  out?: string;
}

export function definePipeline(cmd: Command): void {
  cmd
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option(
      "--train-minutes <m>",
      "RL's training budget per seed, wall-clock minutes (each baseline then gets what RL used for training and its test-time procedure)",
      numberArg({ positive: true }),
      1.5,
    )
    .option("--eval-samples <n>", "test-time procedures (2 executions each) per task after training", numberArg({ int: true, min: 1 }), 1)
    .option("--seeds <k>", "seeds 0..k-1 of every method", numberArg({ int: true, min: 1 }), 2)
    .option("--executors <k>", "concurrent executions of every method (default: one per core)", numberArg({ int: true, min: 1 }))
    .option("--baselines <list>", "comma-separated baselines to run: aide, random (or none)", "aide,random")
    .option("--out <dir>", "where the runs and the report go (default: ./runs/main-<time>)");
  addEnvFlags(cmd).action(async (opts: PipelineOptions, cmd: Command) => {
    const dataDir = dataDirOf(cmd);
    const tasks = opts.task ?? [...BUILTIN_TASK_IDS];
    for (const t of tasks) getTask(t, dataDir);
    const env = envFromFlags(cmd);
    const baselines = opts.baselines === "none" ? [] : opts.baselines.split(",").map((s) => s.trim());
    for (const b of baselines)
      if (b !== "aide" && b !== "random")
        throw new UserError(`--baselines: unknown baseline '${b}'`, "use aide, random, aide,random or none");
    const outDir = opts.out ? resolve(opts.out) : defaultRunDir("main");
    const executors = opts.executors ?? availableParallelism();
    const [{ pipelinePlan, runPipeline }, { evaluatePolicy }, { runBaseline }, { buildReport }] = await Promise.all([
      import("../../run/pipeline.js"),
      import("../../eval/evaluate.js"),
      import("../../baselines/search-run.js"),
      import("../../report/build.js"),
    ]);
    const plan = pipelinePlan({
      outDir,
      tasks,
      trainMinutes: opts.trainMinutes,
      evalSamples: opts.evalSamples,
      seeds: opts.seeds,
      executors,
      baselines: baselines as BaselineMethod[],
      env,
    });
    const log = (line: string) => process.stderr.write(`${line}\n`);
    log(
      `main job in ${outDir}: ${plan.seeds.length} seed(s) × (RL, ${plan.baselines.join(", ") || "no baseline"}) at equal budget on ${executors} executor(s) (run the same command with --out ${outDir} to continue it if stopped)`,
    );
    const stop = interruptOnSigint(() => log("stopping cleanly (Ctrl-C again to quit at once); continue later with the same --out"));
    try {
      const result = await runPipeline({
        plan,
        dataDir,
        signal: stop.signal,
        log,
        steps: {
          evaluate: (runDir, seed, clockOffsetSec, signal) =>
            evaluatePolicy({
              policy: { kind: "run", runDir },
              taskIds: tasks,
              dataDir,
              samples: plan.evalSamples,
              seeds: [seed],
              env,
              concurrency: executors,
              clockOffsetSec,
              log,
              ...(signal ? { signal } : {}),
            }),
          // A search stopped half-way cannot continue its tree: the baseline's own restart starts it again.
          baseline: (method, runDir, seed, minutes, signal) =>
            runBaseline({
              method,
              taskIds: tasks,
              dataDir,
              runDir,
              seeds: [seed],
              policySeed: seed,
              budget: { minutes },
              executors,
              env,
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
