import type { Command } from "commander";
import { formatDoctor, runDoctor } from "../../sandbox/doctor.js";

export function defineDoctor(cmd: Command): void {
  cmd.option("--json", "print the checks as JSON").action((opts: { json?: boolean }) => {
    const checks = runDoctor();
    const ok = checks.every((c) => c.ok || !c.required);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
    else process.stdout.write(formatDoctor(checks));
    process.exitCode = ok ? 0 : 1;
  });
}
