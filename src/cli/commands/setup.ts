import type { Command } from "commander";
import { ensureAgentPython } from "../../runtime/venv.js";

export function registerSetup(program: Command): void {
  program
    .command("setup")
    .description("create the pinned Python runtime for agent programs (idempotent)")
    .action(() => {
      const py = ensureAgentPython((line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`agent python: ${py.python}\n`);
    });
}
