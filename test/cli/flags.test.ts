import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { Command } from "commander";
import { RunConfig, RunConfigShape } from "../../src/core/config.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { defineTrain, TRAIN_FLAGS } from "../../src/cli/commands/train.js";
import { flagName } from "../../src/cli/flags.js";
import { buildProgram } from "../../src/cli/main.js";
import { repoRoot } from "../../src/paths.js";

const bin = join(repoRoot(), "bin", "mlerl");

function valueAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The "(default: X)" of each option in a command's help, by flag name. */
function helpDefaults(cmd: Command): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of cmd.options) {
    const m = /\(default: ([^()]*(?:\([^()]*\)[^()]*)*)\)/.exec(o.description);
    if (m) out.set(o.long ?? o.flags, m[1]!);
  }
  return out;
}

test("every default `mlerl train --help` shows is the one the library uses", () => {
  const cmd = new Command("train");
  defineTrain(cmd);
  const shown = helpDefaults(cmd);
  const library = RunConfig.parse({});
  const shape = RunConfigShape.parse({});
  let compared = 0;
  for (const spec of TRAIN_FLAGS) {
    const text = shown.get(flagName(spec));
    const raw = valueAt(shape, spec.path);
    if (text === undefined || raw === undefined) continue;
    const used = valueAt(library, spec.path);
    const expected = used === null ? "none" : Array.isArray(used) ? used.join(", ") : String(used);
    assert.equal(text, expected, `${flagName(spec)} shows ${text}, the library uses ${expected}`);
    compared += 1;
  }
  // Most flags have a fixed default; the few derived ones say how they are chosen.
  assert.ok(compared >= 20, `only ${compared} defaults compared`);
  assert.match(shown.get("--lr") ?? "", /0\.01 \(fragment\)/);
  assert.equal(library.optim.lr, 0.01);
  assert.equal(RunConfig.parse({ policy: { kind: "openai", baseUrl: "http://a:1", trainerUrl: "http://a:1" } }).optim.lr, 5e-5);
});

test("a flag sets exactly the config field of its table entry", async () => {
  const program = await buildProgram(["train"]);
  const train = program.commands.find((c) => c.name() === "train")!;
  let captured: unknown;
  const { configFromTrainFlags } = await import("../../src/cli/commands/train.js");
  train.action((_opts: unknown, cmd: Command) => {
    captured = configFromTrainFlags(cmd);
  });
  await program.parseAsync(
    ["train", "--batch", "3", "--no-duration-aware", "--score-floor", "none", "--task", "a", "b", "--lr", "0.5", "--timeout", "7"],
    { from: "user" },
  );
  const c = captured as RunConfig;
  assert.equal(c.loop.batchSize, 3);
  assert.equal(c.loop.durationAware, false);
  assert.equal(c.reward.scoreFloor, null);
  assert.deepEqual(c.tasks, ["a", "b"]);
  assert.equal(c.optim.lr, 0.5);
  assert.equal(c.env.timeoutSec, 7);
  // Untouched fields keep the schema's defaults.
  assert.equal(c.loop.maxStaleness, RunConfig.parse({}).loop.maxStaleness);
});

test("a mistyped command or flag is an error that suggests the nearest name, never a help page with exit 0", () => {
  const cmd = spawnSync(bin, ["trian"], { encoding: "utf8" });
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /unknown command 'trian'/);
  assert.match(cmd.stderr, /Did you mean train\?/);
  const flag = spawnSync(bin, ["train", "--batchh", "3"], { encoding: "utf8" });
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /unknown option '--batchh'/);
  assert.match(flag.stderr, /--batch\b/);
  // A mistyped required flag is reported as mistyped, not as the required one missing.
  const required = spawnSync(bin, ["grade", "--task", "mini-leaf-classification", "--submision", "x.csv"], { encoding: "utf8" });
  assert.equal(required.status, 2);
  assert.match(required.stderr, /unknown option '--submision'/);
  assert.match(required.stderr, /Did you mean --submission\?/);
  const missing = spawnSync(bin, ["grade", "--task", "mini-leaf-classification"], { encoding: "utf8" });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /required option '--submission <file>' not specified/);
});

test("with --json, errors are JSON on stdout: the schema's, the task lookup's and commander's", () => {
  for (const args of [
    ["train", "--batch", "0", "--json"],
    ["grade", "--task", "no-such-task", "--submission", "x.csv", "--json"],
    ["train", "--batch", "x", "--json"],
  ]) {
    const r = spawnSync(bin, args, { encoding: "utf8" });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    const parsed = JSON.parse(r.stdout) as { error: { message: string } };
    assert.ok(parsed.error.message.length > 0);
  }
  const schema = JSON.parse(spawnSync(bin, ["train", "--batch", "0", "--json"], { encoding: "utf8" }).stdout) as {
    error: { message: string };
  };
  assert.match(schema.error.message, /^--batch: .*\(got 0\)/);
});

test("every command's help lists the global --data-dir and its own flags", async () => {
  for (const entry of COMMANDS) {
    const program = await buildProgram([entry.name]);
    const cmd = program.commands.find((c) => c.name() === entry.name)!;
    const help = cmd.helpInformation();
    assert.match(help, /--data-dir <dir>/, `${entry.name} --help does not show --data-dir`);
    for (const o of cmd.options) assert.ok(help.includes(o.flags), `${entry.name} --help misses ${o.flags}`);
  }
});

test("mlerl --version prints the package's version", () => {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  assert.equal(r.status, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+$/);
});
