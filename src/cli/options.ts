import type { Command } from "commander";
import { defaultDataDir } from "../paths.js";
import { resolve } from "node:path";

/** The global --data-dir, resolved. */
export function dataDirOf(cmd: Command): string {
  const opts = cmd.optsWithGlobals<{ dataDir?: string }>();
  return opts.dataDir ? resolve(opts.dataDir) : defaultDataDir();
}
