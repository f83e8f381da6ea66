import type { Command } from "commander";
import { readNumber } from "../flags.js";
import { readFileSync } from "node:fs";
import { UserError } from "../../errors.js";
import { loadTemplates, promptDirFromEnv, renderImprove, renderScratch } from "../../agent/prompts.js";
import { scratchInputOf } from "../../agent/task-prompt.js";
import { DEFAULT_LIMITS } from "../../sandbox/executor.js";
import { requirePrepared } from "../../tasks/registry.js";
import { dataDirOf } from "../options.js";

interface PromptOptions {
  task: string;
  kind: string;
  prompts?: string;
  timeLimit: string;
  overviewChars: string;
  code?: string;
  output?: string;
}

function readText(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new UserError(`cannot read ${path} (given by ${flag})`, "check that the file exists and is readable");
  }
}

export function definePrompt(cmd: Command): void {
  cmd
    .requiredOption("--task <id>", "a prepared task (see `mlerl tasks list`)")
    .option("--kind <kind>", "scratch or improve", "scratch")
    .option("--prompts <dir>", "a directory with your own scratch.md / improve.md (default: $MLERL_PROMPTS_DIR, else the shipped ones)")
    .option("--time-limit <sec>", "the execution time limit the prompt states, seconds", String(DEFAULT_LIMITS.timeoutSec))
    .option("--overview-chars <n>", "maximum length of the data overview, characters", "6000")
    .option("--code <file>", "improve only: the previous program")
    .option("--output <file>", "improve only: its execution output")
    .action(async (opts: PromptOptions, cmd: Command) => {
      if (opts.kind !== "scratch" && opts.kind !== "improve") {
        throw new UserError(`--kind must be scratch or improve, got '${opts.kind}'`, "pass --kind scratch or --kind improve");
      }
      const templates = loadTemplates(promptDirFromEnv(opts.prompts));
      const { spec, paths } = requirePrepared(opts.task, dataDirOf(cmd));
      const base = await scratchInputOf(spec, paths.publicDir, {
        timeLimitSec: readNumber("--time-limit", opts.timeLimit, { positive: true }),
        overview: { maxChars: Math.max(200, Math.floor(readNumber("--overview-chars", opts.overviewChars, { positive: true }))) },
      });
      if (opts.kind === "scratch") {
        process.stdout.write(`${renderScratch(templates, base)}\n`);
        return;
      }
      if (!opts.code)
        throw new UserError("--kind improve needs the previous program", "pass --code FILE (and --output FILE with what it printed)");
      const code = readText("--code", opts.code);
      if (code.trim() === "") throw new UserError(`${opts.code} is empty`, "pass the previous program with --code");
      const previous = {
        code,
        output: opts.output ? readText("--output", opts.output) : "",
        validationMetric: null,
        validSubmission: false,
        reward: null,
      };
      // Output given by hand carries no instrumentation of this run, so there is nothing to strip.
      process.stdout.write(`${renderImprove(templates, { ...base, previous }, { stripMarkers: (s) => s })}\n`);
    });
}
