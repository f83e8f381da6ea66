import type { Command } from "commander";
import { ensureAgentPython } from "../../runtime/venv.js";
import { ensureTrainerPython } from "../../runtime/trainer-venv.js";

export function defineSetup(cmd: Command): void {
  cmd
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
