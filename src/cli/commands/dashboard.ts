import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { openDashboard } from "../../dashboard/open-dashboard.js";
import { dataDirOf, interruptOnSigint } from "../options.js";

interface DashboardFlags {
  runs?: string;
  port: string;
  host: string;
  token?: string;
}

export function defineDashboard(cmd: Command): void {
  cmd
    .argument(
      "[run-dir...]",
      "run directories to show (of `mlerl train`, `mlerl baseline`, `mlerl ablate`, `mlerl eval --out`, a pipeline's --out)",
    )
    .option("--runs <dir>", "show every run below this folder, including runs started while the dashboard is open")
    .option("--port <p>", "port to listen on (0: any free port)", "8765")
    .option(
      "--host <h>",
      "address to listen on; anything but a loopback address needs a token (generated and printed unless --token is given). To look from another machine, prefer an SSH tunnel: ssh -L 8765:127.0.0.1:8765 HOST",
      "127.0.0.1",
    )
    .option("--token <t>", "the token every request must carry (default on a non-loopback --host: a fresh random one)")
    .action(async (dirs: string[], flags: DashboardFlags, command: Command) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UserError(`--port ${flags.port} is not a port number`, "pass 0..65535");
      const all = [...dirs, ...(flags.runs !== undefined ? [flags.runs] : [])];
      if (all.length === 0) throw new UserError("no runs to show", "pass run directories, or --runs DIR for a folder of runs");
      const d = await openDashboard({ dirs: all, host: flags.host, port, token: flags.token ?? null, dataDir: dataDirOf(command) });
      process.stdout.write(`dashboard  ${d.url}\n`);
      if (d.token !== null) process.stdout.write(`token      ${d.token} (every request must carry it; the URL above does)\n`);
      process.stdout.write("Ctrl-C stops it.\n");
      await new Promise<void>((resolve) => {
        const stop = interruptOnSigint(() => {
          stop.dispose();
          void d.close().then(resolve);
        });
        process.once("SIGTERM", () => {
          stop.dispose();
          void d.close().then(resolve);
        });
      });
    });
}
