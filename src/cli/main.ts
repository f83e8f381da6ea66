import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { isUserError } from "../errors.js";
import { repoRoot } from "../paths.js";
import { registerCommands } from "./commands/index.js";

/** Options of the program itself, valid before or after any command (`mlerl --data-dir D grade ...`). */
const GLOBAL_VALUE_OPTIONS = new Set(["--data-dir"]);

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(`${repoRoot()}/package.json`, "utf8"));
  return pkg !== null && typeof pkg === "object" && "version" in pkg && typeof pkg.version === "string" ? pkg.version : "unknown";
}

/** The command the arguments name (the first operand, skipping global options and their values). */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (a === "help") return argv[i + 1];
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Writes an error the way the caller asked: JSON on stdout with --json, else a message (and its fix) on stderr. */
function reportError(json: boolean, message: string, fix?: string): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: { message, ...(fix ? { fix } : {}) } })}\n`);
  else process.stderr.write(`mlerl: error: ${message}\n${fix ? `  fix: ${fix}\n` : ""}`);
}

/**
 * Commander checks required options before unknown ones, so `--submision F` would be reported as a missing
 * `--submission`. Checking them just before the action instead reports the mistyped flag (and its nearest name).
 */
function requireAfterUnknownCheck(cmd: Command): void {
  const required = cmd.options.filter((o) => o.mandatory);
  for (const o of required) o.mandatory = false;
  if (required.length)
    cmd.hook("preAction", (_self, action) => {
      if (action !== cmd) return;
      const missing = required.find((o) => cmd.getOptionValue(o.attributeName()) === undefined);
      if (missing) cmd.error(`error: required option '${missing.flags}' not specified`, { code: "commander.missingMandatoryOptionValue" });
    });
  for (const sub of cmd.commands) requireAfterUnknownCheck(sub);
}

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const json = argv.includes("--json");
  const program = new Command("mlerl")
    .description("Train machine-learning-engineering agents with reinforcement learning (MLE-bench tasks).")
    .version(version(), "-V, --version", "print mlerl's version")
    .option("--data-dir <dir>", "where task data lives (default: $MLERL_DATA_DIR, else ~/.cache/mlerl/data)")
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      // Commander's own errors (unknown command or flag, a bad value) in the caller's format.
      outputError: (text, write) => {
        if (json) reportError(true, text.replace(/^error: /, "").trim());
        else write(text);
      },
    })
    .exitOverride();
  if (!json) program.showHelpAfterError("(run with --help for usage)");
  await registerCommands(program, commandNamed(argv));
  requireAfterUnknownCheck(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isUserError(e)) {
      reportError(json, e.message, e.hint);
      return 2;
    }
    throw e;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\/(src|dist)\//, "/$1/"));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`mlerl: internal error (a bug, please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
