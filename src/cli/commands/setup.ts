import type { Command } from "commander";
import { ensureAgentPython } from "../../runtime/venv.js";
import { ensureTrainerPython } from "../../runtime/trainer-venv.js";

export function registerSetup(program: Command): void {
  program
    .command("setup")
    .description("create the pinned Python runtime for agent programs (idempotent)")
    .option("--trainer", "also create the reference trainer's runtime (torch, transformers, peft; ~3 GB download once)")
    .action((opts: { trainer?: boolean }) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const py = ensureAgentPython(log);
      process.stdout.write(`agent python: ${py.python}\n`);
      if (opts.trainer) {
        const t = ensureTrainerPython(log);
        process.stdout.write(`trainer python: ${t.python}\n`);
      }
    });
}
