import { resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { ablationPlan, runAblation, type AblationBudget } from "../../run/ablate.js";
import { ablationTable } from "../../run/ablation-table.js";
import { evaluatePolicy } from "../../eval/evaluate.js";
import { METHOD_VARIANTS, type MethodVariant } from "../../core/config.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { numberArg } from "../flags.js";
import { addEnvFlags, dataDirOf, defaultRunDir, envFromFlags, interruptOnSigint } from "../options.js";

interface AblateOptions {
  task?: string[];
  seeds: number;
  minutes?: number;
  rollouts?: number;
  variant?: string[];
  evalSamples: number;
  outDir?: string;
  json?: boolean;
}

export function defineAblate(cmd: Command): void {
  cmd
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option(
      "--seeds <k>",
      "seeds per variant (mean ± SEM needs at least 2; the paper's effects want 3)",
      numberArg({ int: true, min: 1 }),
      3,
    )
    .option("--minutes <m>", "training wall-clock minutes per run (default 4 when --rollouts is not given)", numberArg({ positive: true }))
    .option("--rollouts <n>", "training budget per run in finished rollouts instead of minutes", numberArg({ int: true, min: 1 }))
    .option("--variant <name...>", `variants to run (default all: ${Object.keys(METHOD_VARIANTS).join(", ")})`)
    .option("--eval-samples <n>", "test-time procedures per task and seed when evaluating each run", numberArg({ int: true, min: 1 }), 2)
    .option("--out-dir <dir>", "where the study's runs go (default: ./runs/ablate-<time>); pass an existing one to resume")
    .option("--json", "print the table as JSON");
  addEnvFlags(cmd).action(async (opts: AblateOptions, cmd: Command) => {
    const dataDir = dataDirOf(cmd);
    const tasks = opts.task ?? [...BUILTIN_TASK_IDS];
    for (const t of tasks) getTask(t, dataDir);
    const variants = (opts.variant ?? Object.keys(METHOD_VARIANTS)) as MethodVariant[];
    for (const v of variants)
      if (!(v in METHOD_VARIANTS))
        throw new UserError(`--variant ${v} is not a variant`, `choose from ${Object.keys(METHOD_VARIANTS).join(", ")}`);
    const env = envFromFlags(cmd);
    if (opts.minutes !== undefined && opts.rollouts !== undefined)
      throw new UserError("--minutes and --rollouts both given", "an ablation compares runs on one budget: pass one of them");
    const budget: AblationBudget = opts.rollouts !== undefined ? { rollouts: opts.rollouts } : { minutes: opts.minutes ?? 4 };
    const seeds = opts.seeds;
    const samples = opts.evalSamples;
    const outDir = opts.outDir ? resolve(opts.outDir) : defaultRunDir("ablate");
    const plan = ablationPlan({ outDir, tasks, seeds, variants, budget, base: { env } });
    const log = (line: string) => process.stderr.write(`${line}\n`);
    log(`ablation study: ${plan.length} runs (${variants.join(", ")} × ${seeds} seeds) in ${outDir}`);
    const stop = interruptOnSigint(() =>
      log("stopping after the current run's clean stop (Ctrl-C again to quit at once); run the same command with --out-dir to resume"),
    );
    try {
      const runs = await runAblation({
        plan,
        dataDir,
        signal: stop.signal,
        log,
        evaluate: (item, signal) =>
          evaluatePolicy({
            policy: { kind: "run", runDir: item.runDir },
            taskIds: tasks,
            dataDir,
            samples,
            seeds: [item.seed],
            env,
            log,
            ...(signal ? { signal } : {}),
          }),
      });
      const table = ablationTable(runs);
      if (opts.json) process.stdout.write(`${JSON.stringify({ outDir, runs: runs.length, table }, null, 2)}\n`);
      else process.stdout.write(`${table.markdown}\nruns in ${outDir}; report: mlerl report ${outDir}/*/seed-*\n`);
    } finally {
      stop.dispose();
    }
  });
}
