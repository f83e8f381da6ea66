import { spawnSync } from "node:child_process";
import { basePython, findAgentPython, venvDir } from "../runtime/venv.js";
import { probeIsolation } from "./probe.js";

/** One line of `mlerl doctor`: what was checked, whether it is fine, and how to fix it if not. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** A missing optional piece only weakens something (e.g. limits fall back to rlimits). */
  required: boolean;
  detail: string;
  fix: string | null;
}

function checkNode(): DoctorCheck {
  const major = Number(process.versions.node.split(".")[0]);
  return {
    name: "node",
    ok: major >= 20,
    required: true,
    detail: `Node.js ${process.versions.node}`,
    fix: major >= 20 ? null : "install Node.js 20 or newer",
  };
}

function checkBasePython(env: NodeJS.ProcessEnv): DoctorCheck {
  const py = basePython(env);
  const r = spawnSync(py, ["-c", "import sys, venv, ensurepip; print(sys.version.split()[0]); print(sys.version_info >= (3, 10))"], {
    encoding: "utf8",
  });
  const [version, recent] = (r.stdout ?? "").trim().split("\n");
  if (r.status !== 0 || !version) {
    return {
      name: "python",
      ok: false,
      required: true,
      detail: `cannot run \`${py}\` with the venv module${r.error ? ` (${r.error.message})` : ""}`,
      fix: "install Python 3.10+ with venv (`apt-get install python3 python3-venv`), or point MLERL_PYTHON at one",
    };
  }
  return {
    name: "python",
    ok: recent === "True",
    required: true,
    detail: `${py}: Python ${version}`,
    fix: recent === "True" ? null : "set MLERL_PYTHON to a Python 3.10+ interpreter",
  };
}

function checkVenv(env: NodeJS.ProcessEnv): DoctorCheck {
  const found = findAgentPython(env);
  if (!found) {
    return { name: "agent venv", ok: false, required: true, detail: `missing (expected at ${venvDir(env)})`, fix: "run `mlerl setup`" };
  }
  const r = spawnSync(found.python, ["-c", "import numpy, pandas, scipy, sklearn, lightgbm, xgboost"], { encoding: "utf8" });
  if (r.status !== 0) {
    const last = (r.stderr ?? "").trim().split("\n").pop() ?? "";
    return {
      name: "agent venv",
      ok: false,
      required: true,
      detail: `${found.venv}: packages do not import (${last})`,
      fix: `remove ${found.venv} and run \`mlerl setup\``,
    };
  }
  return {
    name: "agent venv",
    ok: true,
    required: true,
    detail: `${found.venv} (base ${found.basePrefix}); numpy, pandas, scipy, scikit-learn, lightgbm, xgboost import`,
    fix: null,
  };
}

/** Everything mlerl needs to run agent programs, checked for real (a trial sandbox is started). */
export function runDoctor(env: NodeJS.ProcessEnv = process.env): DoctorCheck[] {
  const p = probeIsolation(env);
  const checks: DoctorCheck[] = [checkNode(), checkBasePython(env), checkVenv(env)];
  checks.push({
    name: "bubblewrap",
    ok: p.bwrap.path !== null,
    required: true,
    detail: p.bwrap.path ? `${p.bwrap.path} ${p.bwrap.version ?? ""}`.trim() : "not installed",
    fix: p.bwrap.path ? null : "apt-get install bubblewrap (or dnf install bubblewrap); without it only --no-isolation runs programs",
  });
  checks.push(
    p.isRoot
      ? {
          name: "privileges",
          ok: p.setpriv !== null,
          required: true,
          detail: `running as root: sandboxes need no user namespace and run programs as dedicated unprivileged uids via ${p.setpriv ?? "setpriv (missing)"}`,
          fix: p.setpriv ? null : "apt-get install util-linux (provides setpriv)",
        }
      : {
          name: "user namespaces",
          ok: p.userns.allowed,
          required: true,
          detail: `running as uid ${process.getuid?.()}: unprivileged user namespaces ${p.userns.detail}`,
          fix: p.userns.allowed
            ? null
            : "sysctl -w kernel.unprivileged_userns_clone=1 (Debian) / user.max_user_namespaces=15000 / kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+)",
        },
  );
  checks.push({
    name: "sandbox",
    ok: p.works,
    required: true,
    detail: p.works
      ? `a trial bubblewrap sandbox (${p.mode} mode) starts; seccomp filter on${p.keyctl ? "" : "; no keyctl, so runs keep the caller's session keyring (unreachable under seccomp; apt-get install keyutils)"}`
      : (p.problem?.message ?? "cannot start a sandbox"),
    fix: p.works ? null : (p.problem?.fix ?? null),
  });
  const cg = (["pids", "memory", "cpuacct", "cpu"] as const)
    .map((c) => `${c}: ${p.cgroups[c] ? `v${p.cgroups[c]!.version}` : "no"}`)
    .join(", ");
  const allCg = p.cgroups.pids !== null && p.cgroups.memory !== null;
  checks.push({
    name: "cgroups",
    ok: allCg,
    required: false,
    detail: `${cg}${p.cgroups.notes.length ? ` (${p.cgroups.notes.join("; ")})` : ""}`,
    fix: allCg
      ? null
      : p.isRoot
        ? "mount the pids and memory controllers (cgroup v1) or use cgroup v2; until then processes and memory are bounded by rlimits only"
        : "optional: without writable cgroups, processes are bounded by RLIMIT_NPROC (relative to your current process count) and memory by RLIMIT_AS; running mlerl as root enables per-run cgroups",
  });
  return checks;
}

export function formatDoctor(checks: DoctorCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    const mark = c.ok ? "ok  " : c.required ? "FAIL" : "warn";
    lines.push(`[${mark}] ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`       fix: ${c.fix}`);
  }
  const bad = checks.filter((c) => c.required && !c.ok);
  lines.push(bad.length === 0 ? "everything needed is present" : `missing: ${bad.map((c) => c.name).join(", ")}`);
  return `${lines.join("\n")}\n`;
}
