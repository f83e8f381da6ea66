import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { detectCgroups, type CgroupSupport } from "./cgroup.js";

/** What this machine offers for sandboxing, with the fix for each missing piece. */
export interface IsolationProbe {
  bwrap: { path: string | null; version: string | null };
  isRoot: boolean;
  /** The mode BwrapExecutor uses here: as root without user namespaces, else inside one. */
  mode: "root" | "userns";
  /** Can bwrap actually start a sandbox in that mode (a real trial run)? */
  works: boolean;
  /** Unprivileged user namespaces (needed when not root). */
  userns: { allowed: boolean; detail: string };
  setpriv: string | null;
  /** util-linux prlimit, to set limits without a launcher process. */
  prlimit: string | null;
  /** bash runs the starter (starter.ts): it can close inherited descriptors above 9, which dash cannot. */
  bash: string | null;
  /** keyutils' keyctl: a fresh session keyring per run, and clearing a sandbox uid's keyrings. */
  keyctl: string | null;
  /** util-linux taskset: the CPU bound where no cpu cgroup is writable. */
  taskset: string | null;
  /** util-linux mount and umount: the capped tmpfs for /home/submission (root mode). */
  mount: string | null;
  umount: string | null;
  disableNestedUserns: boolean;
  cgroups: CgroupSupport;
  /** Why the sandbox cannot run, with the fix, when `works` is false. */
  problem: { message: string; fix: string } | null;
}

/** Only tools under the system directories exist inside the sandbox, which mounts /usr (and /bin, /sbin). */
export function systemTool(cmd: string): string | null {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    const p = `${dir}/${cmd}`;
    if (existsSync(p)) return p;
  }
  return null;
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/bin", "/bin", "/usr/sbin"])) {
    const p = `${dir}/${cmd}`;
    if (dir && existsSync(p)) return p;
  }
  return null;
}

function readSysctl(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
}

function usernsStatus(): { allowed: boolean; detail: string } {
  const clone = readSysctl("/proc/sys/kernel/unprivileged_userns_clone");
  if (clone === "0") return { allowed: false, detail: "kernel.unprivileged_userns_clone = 0" };
  const max = readSysctl("/proc/sys/user/max_user_namespaces");
  if (max === "0") return { allowed: false, detail: "user.max_user_namespaces = 0" };
  const apparmor = readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  if (apparmor === "1") return { allowed: false, detail: "kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 24.04+)" };
  return { allowed: true, detail: max ? `allowed (max_user_namespaces = ${max})` : "allowed" };
}

/** The bwrap arguments of the trial run for a mode (a minimal sandbox like the real one). */
function trialArgs(mode: "root" | "userns"): string[] {
  const ns = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--cap-drop", "ALL"];
  if (mode === "userns") ns.unshift("--unshare-user");
  const links: string[] = [];
  for (const d of ["/bin", "/lib", "/lib64"]) if (existsSync(d)) links.push("--ro-bind", d, d);
  return [...ns, "--ro-bind", "/usr", "/usr", ...links, "--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"];
}

const cache = new Map<string, IsolationProbe>();

/**
 * Probes once per process (one trial sandbox, a few milliseconds). `MLERL_BWRAP` names the bwrap binary to
 * use instead of the one on PATH.
 */
export function probeIsolation(env: NodeJS.ProcessEnv = process.env): IsolationProbe {
  const key = env.MLERL_BWRAP ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  const path = env.MLERL_BWRAP !== undefined ? (existsSync(env.MLERL_BWRAP) ? env.MLERL_BWRAP : null) : which("bwrap");
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const mode = isRoot ? "root" : "userns";
  const userns = usernsStatus();
  const setpriv = systemTool("setpriv");
  let version: string | null = null;
  let help = "";
  let works = false;
  let problem: IsolationProbe["problem"] = null;
  if (!path) {
    problem = {
      message: "bubblewrap (bwrap) is not installed, so agent programs cannot be sandboxed",
      fix: "install it: `apt-get install bubblewrap` (Debian/Ubuntu), `dnf install bubblewrap` (Fedora); or pass --no-isolation to run unsandboxed (not a security boundary)",
    };
  } else {
    const v = spawnSync(path, ["--version"], { encoding: "utf8" });
    version = v.stdout?.trim().replace(/^bubblewrap\s*/, "") || null;
    help = spawnSync(path, ["--help"], { encoding: "utf8" }).stdout ?? "";
    if (!systemTool("bash")) {
      problem = {
        message: "bash is missing; it starts every sandbox (it closes the descriptors the sandbox must not inherit)",
        fix: "apt-get install bash",
      };
    } else if (isRoot && !setpriv) {
      problem = {
        message: "setpriv (util-linux) is missing; as root it is needed to run programs as an unprivileged uid",
        fix: "apt-get install util-linux",
      };
    } else {
      const trial = spawnSync(path, trialArgs(mode), { encoding: "utf8", timeout: 10_000 });
      works = trial.status === 0;
      if (!works) {
        const why = (trial.stderr || trial.error?.message || `exit ${trial.status}`).trim();
        problem =
          mode === "userns"
            ? {
                message: `bubblewrap cannot create a user namespace here (${why}; ${userns.detail})`,
                fix: "allow unprivileged user namespaces: `sysctl -w kernel.unprivileged_userns_clone=1` (Debian), `sysctl -w user.max_user_namespaces=15000`, or on Ubuntu 24.04+ `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`; or pass --no-isolation (not a security boundary)",
              }
            : {
                message: `bubblewrap fails to start a sandbox (${why})`,
                fix: "inside a container, run it with --privileged or with seccomp/apparmor allowing mount and unshare; or pass --no-isolation (not a security boundary)",
              };
      }
    }
  }
  const probe: IsolationProbe = {
    bwrap: { path, version },
    isRoot,
    mode,
    works,
    userns,
    setpriv,
    prlimit: systemTool("prlimit"),
    bash: systemTool("bash"),
    keyctl: systemTool("keyctl"),
    taskset: systemTool("taskset"),
    mount: systemTool("mount"),
    umount: systemTool("umount"),
    disableNestedUserns: help.includes("--disable-userns"),
    cgroups: detectCgroups(),
    problem,
  };
  cache.set(key, probe);
  return probe;
}
