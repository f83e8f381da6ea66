import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { mlerlHome, repoRoot } from "../../paths.js";
import { createExecutor } from "../../sandbox/index.js";
import { runRollout } from "../../rollout/run-rollout.js";
import { BUILTIN_TASK_IDS, prepareTasks, requirePrepared } from "../../tasks/registry.js";
import { readNumber } from "../flags.js";
import { dataDirOf } from "../options.js";

const LEVELS = ["baseline", "medium", "strong"] as const;
type Level = (typeof LEVELS)[number];

interface ReferenceOptions {
  task?: string[];
  level: string;
  timeout: string;
  isolation: boolean;
  json?: boolean;
}

/** The reference solutions shipped for a built-in task: tasks/reference/<id>/<level>.py. */
export function referenceSolution(taskId: string, level: Level): string {
  const path = join(repoRoot(), "tasks", "reference", taskId, `${level}.py`);
  if (!existsSync(path))
    throw new UserError(
      `no ${level} reference solution for ${taskId} (looked for ${path})`,
      `reference solutions exist for: ${BUILTIN_TASK_IDS.join(", ")}`,
    );
  return path;
}

export function defineReference(cmd: Command): void {
  cmd
    .option("--task <id...>", "built-in task ids (default: all)")
    .option("--level <level>", `which reference solution: ${LEVELS.join(" | ")}`, "baseline")
    .option("--timeout <seconds>", "per-program deadline", "300")
    .option("--no-isolation", "run WITHOUT the sandbox (not a security boundary)")
    .option("--json", "print one JSON object with every report")
    .action(async (opts: ReferenceOptions, cmd: Command) => {
      if (!(LEVELS as readonly string[]).includes(opts.level))
        throw new UserError(`--level must be one of ${LEVELS.join(", ")}, got '${opts.level}'`, "e.g. --level strong");
      const level = opts.level as Level;
      const timeoutSec = readNumber("--timeout", opts.timeout, { positive: true });
      const ids = opts.task ?? [...BUILTIN_TASK_IDS];
      for (const id of ids)
        if (!(BUILTIN_TASK_IDS as readonly string[]).includes(id))
          throw new UserError(`${id} is not a built-in task`, `built-in tasks: ${BUILTIN_TASK_IDS.join(", ")}`);
      const dataDir = dataDirOf(cmd);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      await prepareTasks(ids, dataDir, log);
      const executor = createExecutor({ isolation: opts.isolation, warn: log });
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const results = [];
      for (const [i, id] of ids.entries()) {
        const { spec, paths } = requirePrepared(id, dataDir);
        const code = readFileSync(referenceSolution(id, level), "utf8");
        log(`[${i + 1}/${ids.length}] ${id}: running the ${level} reference solution ...`);
        const outDir = join(mlerlHome(), "reference", `${stamp}`, id);
        const run = await runRollout({ executor, instrumenter: null, spec, paths, code, outDir, limits: { timeoutSec } });
        const g = run.record.grade;
        const medal = g.gold_medal
          ? "gold"
          : g.silver_medal
            ? "silver"
            : g.bronze_medal
              ? "bronze"
              : g.above_median
                ? "above median"
                : "no medal";
        log(
          `    ${run.execution.summary}; score ${g.score ?? "-"} (${spec.metric}, ${spec.lowerIsBetter ? "lower" : "higher"} is better): ${g.valid_submission ? medal : `invalid: ${g.error}`}`,
        );
        results.push({ task: id, level, wallSec: run.execution.wallSec, exitCode: run.execution.exitCode, outDir, grade: g });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ executor: executor.describe(), results }, null, 2)}\n`);
      } else {
        const rows = results.map((r) => [
          r.task,
          r.grade.score === null ? "-" : String(r.grade.score),
          r.grade.valid_submission ? "yes" : "no",
          r.grade.gold_medal ? "gold" : r.grade.silver_medal ? "silver" : r.grade.bronze_medal ? "bronze" : "-",
          r.grade.above_median ? "yes" : "no",
          `${r.wallSec.toFixed(1)} s`,
        ]);
        const header = ["task", "score", "valid", "medal", "above median", "Δt"];
        const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
        const fmt = (cells: string[]) => cells.map((x, c) => x.padEnd(widths[c]!)).join("  ");
        process.stdout.write(`${[fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n")}\n`);
      }
      process.exitCode = results.every((r) => r.grade.valid_submission) ? 0 : 1;
    });
}
