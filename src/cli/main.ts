import { Command, CommanderError } from "commander";
import { isUserError } from "../errors.js";
import { registerCommands } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command("mlerl")
    .description("Train machine-learning-engineering agents with reinforcement learning (MLE-bench tasks).")
    .option("--data-dir <dir>", "where task data lives (default: $MLERL_DATA_DIR, else ~/.cache/mlerl/data)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isUserError(e)) {
      process.stderr.write(`mlerl: error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`  fix: ${e.hint}\n`);
      return 2;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/src\//, "/src/"));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`mlerl: internal error (a bug, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
