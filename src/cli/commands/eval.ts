import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { evalJsonPath, evaluatePolicy, type PolicySource } from "../../eval/evaluate.js";
import { formatEvalTable } from "../../eval/table.js";
import { storedRunConfig } from "../../store/run-config.js";
import { RunStore } from "../../store/run-store.js";
import { BUILTIN_TASK_IDS } from "../../tasks/registry.js";
import { numberArg } from "../flags.js";
import { addEnvFlags, dataDirOf, envFromFlags, interruptOnSigint } from "../options.js";

interface EvalOptions {
  run?: string;
  checkpoint?: string;
  untrained?: boolean;
  policySeed: number;
  task?: string[];
  samples: number;
  seeds: number;
  executors?: number;
  out?: string;
  method?: string;
  json?: boolean;
}

function sourceOf(opts: EvalOptions): PolicySource {
  const given = [opts.run !== undefined, opts.checkpoint !== undefined, opts.untrained === true].filter(Boolean).length;
  if (given !== 1)
    throw new UserError(
      "name exactly one policy: --run RUN_DIR, --checkpoint DIR or --untrained",
      "e.g. mlerl eval --run runs/train-... --task mini-leaf-classification",
    );
  if (opts.untrained || opts.checkpoint === "random") return { kind: "untrained", seed: opts.policySeed };
  if (opts.checkpoint !== undefined) return { kind: "checkpoint", dir: resolve(opts.checkpoint) };
  return { kind: "run", runDir: resolve(opts.run as string) };
}

/** The run's own tasks when evaluating a run, else every built-in task. */
function defaultTasks(source: PolicySource): string[] {
  if (source.kind !== "run" || !existsSync(join(source.runDir, "run.sqlite"))) return [...BUILTIN_TASK_IDS];
  const store = RunStore.openReadonly(source.runDir);
  try {
    return storedRunConfig(store)?.tasks ?? [...BUILTIN_TASK_IDS];
  } finally {
    store.close();
  }
}

export function defineEval(cmd: Command): void {
  cmd
    .option(
      "--run <dir>",
      "a training run: evaluates its latest checkpoint with its reward rule and deadline; eval.json goes into the run dir",
    )
    .option("--checkpoint <dir>", "a policy checkpoint directory (`random` = a fresh random-init policy, like --untrained)")
    .option("--untrained", "a freshly initialised policy (random weights), for comparisons")
    .option("--policy-seed <s>", "init seed of the --untrained policy", numberArg({ int: true, min: 0 }), 0)
    .option("--task <id...>", "tasks (default: the run's tasks, else every built-in task)")
    .option("--samples <n>", "test-time procedures per task and seed", numberArg({ int: true, min: 1 }), 1)
    .option(
      "--seeds <k>",
      "seeds 0..k-1; each changes every sampling seed (mean ± std are over seeds)",
      numberArg({ int: true, min: 1 }),
      1,
    )
    .option("--executors <k>", "attempts run at once (default: one per core)", numberArg({ int: true, min: 1 }));
  addEnvFlags(cmd);
  cmd
    .option("--out <dir>", "where eval.json and the programs go (default: the run dir; required with --checkpoint/--untrained)")
    .option("--method <label>", "label for eval.json's method (default: the run's method, `checkpoint` or `untrained`)")
    .option("--json", "print eval.json's content instead of the table")
    .action(async (opts: EvalOptions, cmd: Command) => {
      const source = sourceOf(opts);
      if (source.kind !== "run" && opts.out === undefined)
        throw new UserError("--out DIR is required with --checkpoint or --untrained", "e.g. --out runs/eval-untrained");
      const env = envFromFlags(cmd);
      const seeds = opts.seeds;
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const stop = interruptOnSigint(() =>
        log("stopping: interrupting running programs (eval.json is not written; Ctrl-C again to quit at once) ..."),
      );
      try {
        const result = await evaluatePolicy({
          policy: source,
          taskIds: opts.task ?? defaultTasks(source),
          dataDir: dataDirOf(cmd),
          samples: opts.samples,
          seeds: Array.from({ length: seeds }, (_, i) => i),
          env,
          concurrency: opts.executors ?? availableParallelism(),
          ...(opts.out !== undefined ? { outDir: resolve(opts.out) } : {}),
          ...(opts.method !== undefined ? { method: opts.method } : {}),
          log,
          signal: stop.signal,
        });
        const out = resolve(opts.out ?? (source.kind === "run" ? source.runDir : "."));
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(`${formatEvalTable(result)}\n\neval.json: ${evalJsonPath(out)}\n`);
      } finally {
        stop.dispose();
      }
    });
}
