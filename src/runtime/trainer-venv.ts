import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { mlerlHome, repoRoot } from "../paths.js";
import { UserError } from "../errors.js";
import { basePython } from "./venv.js";

/**
 * The reference trainer's Python runtime (torch, transformers, peft), apart from the agent venv: agent programs
 * never need torch, and the laptop main job must not pay for a multi-gigabyte install.
 */
export function trainerRequirementsPath(): string {
  return join(repoRoot(), "python", "requirements-trainer.txt");
}

/** Where the server package lives; it runs as `python -m trainer` with this directory on PYTHONPATH. */
export function trainerPackageRoot(): string {
  return join(repoRoot(), "python");
}

function requirementsHash(): string {
  return createHash("sha256").update(readFileSync(trainerRequirementsPath())).digest("hex").slice(0, 12);
}

/** Keyed by the requirements' hash, so a pin change makes a new venv. `MLERL_TRAINER_VENV` overrides it. */
export function trainerVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLERL_TRAINER_VENV) return env.MLERL_TRAINER_VENV;
  return join(mlerlHome(env), "trainer-venv", requirementsHash());
}

const STAMP = ".mlerl-complete";

export interface TrainerPython {
  python: string;
  venv: string;
}

/** The trainer runtime if it is complete, else undefined. Spawns nothing. */
export function findTrainerPython(env: NodeJS.ProcessEnv = process.env): TrainerPython | undefined {
  const venv = trainerVenvDir(env);
  if (!existsSync(join(venv, STAMP))) return undefined;
  return { python: join(venv, "bin", "python"), venv };
}

/** Like findTrainerPython, with an actionable error when the runtime is missing. */
export function requireTrainerPython(env: NodeJS.ProcessEnv = process.env): TrainerPython {
  const found = findTrainerPython(env);
  if (!found) {
    throw new UserError(
      `the trainer Python runtime (torch, transformers, peft) is not installed (expected a complete venv at ${trainerVenvDir(env)})`,
      "run `mlerl setup --trainer` (downloads about 3 GB from PyPI once; the test suite runs it for you)",
    );
  }
  return found;
}

/**
 * Create the trainer venv if it is not there. Built in a temporary directory and renamed into place, so an
 * interrupted install leaves nothing that looks complete.
 */
export function ensureTrainerPython(log: (line: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): TrainerPython {
  const existing = findTrainerPython(env);
  if (existing) return existing;
  const target = trainerVenvDir(env);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(target, ".."), { recursive: true });
  const py = basePython(env);
  const probe = spawnSync(py, ["-c", "import sys; print(sys.version_info >= (3, 10))"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new UserError(
      `cannot run ${py} to create the trainer venv`,
      "install Python 3.10+ (e.g. `apt-get install python3 python3-venv`) or set MLERL_PYTHON",
    );
  }
  if (probe.stdout.trim() !== "True")
    throw new UserError(`${py} is older than Python 3.10`, "set MLERL_PYTHON to a Python 3.10+ interpreter");
  log(`creating the trainer venv at ${target}`);
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new UserError(
        `\`${cmd} ${args.join(" ")}\` failed (exit ${r.status})`,
        "check that this machine reaches PyPI and has ~8 GB free disk, then run `mlerl setup --trainer` again",
      );
    }
  };
  run(py, ["-m", "venv", tmp]);
  log("installing pinned packages (torch, transformers, peft, tokenizers, safetensors; several minutes the first time) ...");
  run(join(tmp, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", trainerRequirementsPath()]);
  writeFileSync(join(tmp, STAMP), "complete\n");
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return findTrainerPython(env)!;
}
