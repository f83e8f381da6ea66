import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { mlerlHome, repoRoot } from "../paths.js";
import { UserError } from "../errors.js";

/** The pinned requirements of the agent runtime. */
export function requirementsPath(): string {
  return join(repoRoot(), "python", "requirements-agent.txt");
}

/** What names the agent venv: a hash of its pinned requirements (a queue worker must have the coordinator's). */
export function agentVenvHash(): string {
  return requirementsHash();
}

function requirementsHash(): string {
  return createHash("sha256").update(readFileSync(requirementsPath())).digest("hex").slice(0, 12);
}

/** The venv for the current requirements lives in a directory named by their hash, so a pin change makes a new one. */
export function venvDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLERL_VENV) return env.MLERL_VENV;
  return join(mlerlHome(env), "venv", requirementsHash());
}

const STAMP = ".mlerl-complete";

export interface AgentPython {
  /** The venv's python executable. */
  python: string;
  venv: string;
  /** The base interpreter's prefix, which a sandbox must mount for the venv to start. */
  basePrefix: string;
}

/** The agent runtime if it is complete, else undefined. Cheap: reads files, spawns nothing. */
export function findAgentPython(env: NodeJS.ProcessEnv = process.env): AgentPython | undefined {
  const venv = venvDir(env);
  const stamp = join(venv, STAMP);
  if (!existsSync(stamp)) return undefined;
  const basePrefix = readFileSync(stamp, "utf8").trim();
  return { python: join(venv, "bin", "python"), venv, basePrefix };
}

/** Like findAgentPython, but with an actionable error when the runtime is missing. */
export function requireAgentPython(env: NodeJS.ProcessEnv = process.env): AgentPython {
  const found = findAgentPython(env);
  if (!found) {
    throw new UserError(
      `the agent Python runtime is not installed (expected a complete venv at ${venvDir(env)})`,
      "run `mlerl setup` (or the README's main command, which runs it for you)",
    );
  }
  return found;
}

/** The interpreter used to create the venv: MLERL_PYTHON, else python3 on PATH. */
export function basePython(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLERL_PYTHON ?? "python3";
}

/**
 * Create the agent venv if it is not there. Built in a temporary directory and renamed into place, so a crash
 * half-way leaves nothing that looks complete.
 */
export function ensureAgentPython(log: (line: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): AgentPython {
  const existing = findAgentPython(env);
  if (existing) return existing;
  const target = venvDir(env);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(target, ".."), { recursive: true });
  const py = basePython(env);
  const probe = spawnSync(py, ["-c", "import sys; print(sys.version_info >= (3, 10)); print(sys.base_prefix)"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new UserError(
      `cannot run ${py} to create the agent venv`,
      "install Python 3.10+ (e.g. `apt-get install python3 python3-venv`) or set MLERL_PYTHON",
    );
  }
  const [okLine, basePrefix] = probe.stdout.trim().split("\n");
  if (okLine !== "True") throw new UserError(`${py} is older than Python 3.10`, "set MLERL_PYTHON to a Python 3.10+ interpreter");
  log(`creating the agent venv at ${target}`);
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new UserError(
        `\`${cmd} ${args.join(" ")}\` failed (exit ${r.status})`,
        "check that this machine reaches PyPI, then run `mlerl setup` again",
      );
    }
  };
  run(py, ["-m", "venv", tmp]);
  log("installing pinned packages (numpy, pandas, scipy, scikit-learn, lightgbm, xgboost) ...");
  run(join(tmp, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsPath()]);
  writeFileSync(join(tmp, STAMP), `${basePrefix}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  return findAgentPython(env)!;
}
