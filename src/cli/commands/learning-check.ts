import { resolve } from "node:path";
import type { Command } from "commander";
import { learningPlan, learningTable, runLearningCheck } from "../../run/learning-check.js";
import { BUILTIN_TASK_IDS, getTask } from "../../tasks/registry.js";
import { numberArg } from "../flags.js";
import { addEnvFlags, dataDirOf, defaultRunDir, envFromFlags, interruptOnSigint } from "../options.js";

interface LearningCheckOptions {
  task?: string[];
  rollouts: number;
  seed: number;
  outDir?: string;
  json?: boolean;
}

export function defineLearningCheck(cmd: Command): void {
  cmd
    .option("--task <id...>", "tasks (default: every built-in task)")
    .option("--rollouts <n>", "finished rollouts per run", numberArg({ int: true, min: 1 }), 120)
    .option("--seed <s>", "seed of both runs", numberArg({ int: true, min: 0 }), 0)
    .option("--out-dir <dir>", "where the runs go (default: ./runs/learning-<time>); pass an existing one to resume")
    .option("--json", "print the verdicts as JSON");
  addEnvFlags(cmd).action(async (opts: LearningCheckOptions, cmd: Command) => {
    const dataDir = dataDirOf(cmd);
    const tasks = opts.task ?? [...BUILTIN_TASK_IDS];
    const lower = new Map(tasks.map((t) => [t, getTask(t, dataDir).lowerIsBetter]));
    const env = envFromFlags(cmd);
    const { seed, rollouts } = opts;
    const outDir = opts.outDir ? resolve(opts.outDir) : defaultRunDir("learning");
    const plan = learningPlan({ outDir, tasks, rollouts, seed, base: { env } });
    const log = (line: string) => process.stderr.write(`${line}\n`);
    log(`learning check: ${tasks.length} task(s) × (trained, untrained), ${rollouts} rollouts each, in ${outDir}`);
    const stop = interruptOnSigint(() =>
      log("stopping after the current run's clean stop (Ctrl-C again to quit at once); run the same command with --out-dir to resume"),
    );
    try {
      const results = await runLearningCheck({ plan, dataDir, lowerIsBetter: (t) => lower.get(t) ?? false, signal: stop.signal, log });
      if (stop.signal.aborted)
        log(
          `stopped; continue with: mlerl learning-check --out-dir ${outDir} ${tasks.map((t) => `--task ${t}`).join(" ")} --rollouts ${rollouts} --seed ${seed}`,
        );
      process.stdout.write(opts.json ? `${JSON.stringify({ outDir, results }, null, 2)}\n` : `${learningTable(results)}\n`);
    } finally {
      stop.dispose();
    }
  });
}
