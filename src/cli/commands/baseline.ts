import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { Argument, type Command } from "commander";
import { runBaseline } from "../../baselines/search-run.js";
import { BASELINE_METHODS, type BaselineMethod } from "../../core/config.js";
import { UserError } from "../../errors.js";
import { evalJsonPath } from "../../eval/evaluate.js";
import { formatEvalTable } from "../../eval/table.js";
import { BUILTIN_TASK_IDS } from "../../tasks/registry.js";
import { numberArg } from "../flags.js";
import { addEnvFlags, dataDirOf, defaultRunDir, envFromFlags, interruptOnSigint } from "../options.js";

interface BaselineOptions {
  task?: string[];
  seeds: number;
  budgetExecutions?: number;
  budgetMinutes?: number;
  executors?: number;
  policySeed: number;
  runDir?: string;
  restart?: boolean;
  json?: boolean;
}

export function defineBaseline(cmd: Command): void {
  cmd
    .addArgument(new Argument("<method>", "the search").choices(BASELINE_METHODS))
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option("--seeds <k>", "independent searches 0..k-1 per task, run one seed after another", numberArg({ int: true, min: 1 }), 1)
    .option("--budget-executions <n>", "executions per task and seed", numberArg({ int: true, min: 1 }))
    .option(
      "--budget-minutes <m>",
      "wall-clock minutes per seed; the tasks are searched side by side like a training run",
      numberArg({ positive: true }),
    )
    .option("--executors <k>", "concurrent executions (default: one per core)", numberArg({ int: true, min: 1 }))
    .option("--policy-seed <s>", "aide: init seed of the untrained policy that writes the programs", numberArg({ int: true, min: 0 }), 0)
    .option("--run-dir <dir>", "where the run is stored (default: ./runs/<method>-<time>)")
    .option("--restart", "start again when --run-dir holds an interrupted run of this baseline (no eval.json yet)")
    .option("--json", "print eval.json's content instead of the table");
  addEnvFlags(cmd).action(async (method: BaselineMethod, opts: BaselineOptions, cmd: Command) => {
    const env = envFromFlags(cmd);
    if (opts.budgetExecutions === undefined && opts.budgetMinutes === undefined)
      throw new UserError("no budget given", "pass --budget-executions N (per task and seed) and/or --budget-minutes M (per seed)");
    const runDir = opts.runDir ? resolve(opts.runDir) : defaultRunDir(method);
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const stop = interruptOnSigint(() =>
      log("stopping: interrupting running programs (eval.json is not written; Ctrl-C again to quit at once) ..."),
    );
    try {
      const result = await runBaseline({
        method,
        taskIds: opts.task ?? [...BUILTIN_TASK_IDS],
        dataDir: dataDirOf(cmd),
        runDir,
        seeds: Array.from({ length: opts.seeds }, (_, i) => i),
        budget: {
          ...(opts.budgetExecutions !== undefined ? { executions: opts.budgetExecutions } : {}),
          ...(opts.budgetMinutes !== undefined ? { minutes: opts.budgetMinutes } : {}),
        },
        executors: opts.executors ?? availableParallelism(),
        env,
        policySeed: opts.policySeed,
        restart: opts.restart === true,
        log,
        signal: stop.signal,
      });
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(`${formatEvalTable(result)}\n\nrun dir: ${runDir}\neval.json: ${evalJsonPath(runDir)}\n`);
    } finally {
      stop.dispose();
    }
  });
}
