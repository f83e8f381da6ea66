import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { runBaseline, type BaselineMethod } from "../../baselines/search-run.js";
import { evalJsonPath } from "../../eval/evaluate.js";
import { formatEvalTable } from "../../eval/table.js";
import { BUILTIN_TASK_IDS } from "../../tasks/registry.js";
import { assertRealExecutor, dataDirOf, defaultRunDir, interruptOnSigint, intFlag } from "../options.js";

interface BaselineOptions {
  task?: string[];
  seeds: string;
  budgetExecutions?: string;
  budgetMinutes?: string;
  executors?: string;
  executor: string;
  timeout: string;
  policySeed: string;
  runDir?: string;
  restart?: boolean;
  json?: boolean;
}

const METHODS: readonly BaselineMethod[] = ["aide", "random"];

export function registerBaseline(program: Command): void {
  program
    .command("baseline")
    .description(
      "run a baseline search on an equal budget and store it like a training run: `aide` (AIDE-style tree search: drafts, debugging, greedy improvement of the best node, driven by the untrained built-in policy) or `random` (programs drawn uniformly over the fragment grammar); the final pick per task and seed (best validation metric) goes to eval.json",
    )
    .argument("<method>", "aide | random")
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option("--seeds <k>", "independent searches 0..k-1 per task, run one seed after another", "1")
    .option("--budget-executions <n>", "executions per task and seed")
    .option("--budget-minutes <m>", "wall-clock minutes per seed; the tasks are searched side by side like a training run")
    .option("--executors <k>", "concurrent executions (default: one per core)")
    .option("--executor <kind>", "sandbox | unsandboxed (no isolation; trusted code only)", "sandbox")
    .option("--timeout <seconds>", "per-program deadline", "45")
    .option("--policy-seed <s>", "aide: init seed of the untrained policy that writes the programs", "0")
    .option("--run-dir <dir>", "where the run is stored (default: ./runs/<method>-<time>)")
    .option("--restart", "start again when --run-dir holds an interrupted run of this baseline (no eval.json yet)")
    .option("--json", "print eval.json's content instead of the table")
    .action(async (method: string, opts: BaselineOptions, cmd: Command) => {
      if (!(METHODS as readonly string[]).includes(method))
        throw new UserError(`unknown baseline '${method}'`, `use one of: ${METHODS.join(", ")}`);
      assertRealExecutor(opts.executor);
      if (opts.budgetExecutions === undefined && opts.budgetMinutes === undefined)
        throw new UserError("no budget given", "pass --budget-executions N (per task and seed) and/or --budget-minutes M (per seed)");
      let minutes: number | undefined;
      if (opts.budgetMinutes !== undefined) {
        minutes = Number(opts.budgetMinutes);
        if (!(minutes > 0) || !Number.isFinite(minutes))
          throw new UserError(`--budget-minutes must be a positive number, got '${opts.budgetMinutes}'`, "e.g. --budget-minutes 5");
      }
      const seeds = intFlag("--seeds", opts.seeds, 1);
      const runDir = opts.runDir ? resolve(opts.runDir) : defaultRunDir(method);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const stop = interruptOnSigint(() =>
        log("stopping: interrupting running programs (eval.json is not written; Ctrl-C again to quit at once) ..."),
      );
      try {
        const result = await runBaseline({
          method: method as BaselineMethod,
          taskIds: opts.task ?? [...BUILTIN_TASK_IDS],
          dataDir: dataDirOf(cmd),
          runDir,
          seeds: Array.from({ length: seeds }, (_, i) => i),
          budget: {
            ...(opts.budgetExecutions !== undefined ? { executions: intFlag("--budget-executions", opts.budgetExecutions, 1) } : {}),
            ...(minutes !== undefined ? { minutes } : {}),
          },
          executors: opts.executors !== undefined ? intFlag("--executors", opts.executors, 1) : availableParallelism(),
          executor: opts.executor,
          timeoutSec: intFlag("--timeout", opts.timeout, 1),
          policySeed: intFlag("--policy-seed", opts.policySeed, 0),
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
