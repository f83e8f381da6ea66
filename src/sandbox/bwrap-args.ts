import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname } from "node:path";

export const SANDBOX_HOSTNAME = "sandbox";

/** Where things appear inside the sandbox (the MLE-bench container layout). */
export const SANDBOX_PATHS = {
  data: "/home/data",
  submission: "/home/submission",
  work: "/home/work",
  code: "/home/code",
  program: "/home/code/program.py",
  tmp: "/tmp",
} as const;

export interface SandboxLayout {
  /**
   * "root": bwrap runs with real privileges and no user namespace; the program is started as an unprivileged
   * uid by setpriv. "userns": bwrap runs as the calling user inside a user namespace.
   */
  mode: "root" | "userns";
  /** The venv and the base interpreter it needs, mounted read-only at their own paths. */
  venv: string;
  basePrefix: string;
  publicDir: string;
  submissionDir: string;
  /**
   * Descriptors bwrap copies files from (`--file`), so no host path of the run shows in the sandbox's mount
   * table: the program, and the synthetic /etc/passwd and /etc/group (libraries that look up the current user
   * find one) and /etc/hosts (localhost and the sandbox's host name; there is no DNS).
   */
  fileFds: { program: number; passwd: number; group: number; hosts: number };
  /** The compiled seccomp filter (seccomp-filter.ts) is read from this descriptor. */
  seccompFd: number;
  /** Size cap for each writable tmpfs (/tmp, /dev/shm, /home/work). */
  tmpfsBytes: number;
  env: Record<string, string>;
  /** Root mode: the uid/gid the program runs as, and the setpriv that switches to it. */
  uid?: number;
  setpriv?: string;
  /** Userns mode: bwrap can forbid nested user namespaces (bubblewrap >= 0.8). */
  disableNestedUserns?: boolean;
  /** The command run inside (the launcher). */
  command: string[];
}

/** bwrap's options (passed on a descriptor with --args, so they never show in /proc/1/cmdline) and the command. */
export interface BwrapInvocation {
  options: string[];
  command: string[];
}

/** The options as bwrap's --args reads them: NUL-terminated strings. */
export function argsData(options: readonly string[]): Buffer {
  return Buffer.from(options.map((o) => `${o}\0`).join(""), "utf8");
}

/** Top-level system directories: symlinks into /usr on merged-/usr systems, real directories elsewhere. */
const SYSTEM_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** The few files of /etc a Python program needs: the dynamic loader's cache, alternatives symlinks, time zone. */
const ETC_ENTRIES = ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime"];

function systemMounts(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const d of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(d);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(d), d);
    else if (st.isDirectory()) args.push("--ro-bind", d, d);
  }
  args.push("--perms", "0755", "--dir", "/etc");
  for (const e of ETC_ENTRIES) if (existsSync(e)) args.push("--ro-bind", e, e);
  return args;
}

/**
 * `--dir` for every ancestor of `path` not created yet, world-traversable: bwrap would otherwise copy the
 * host's mode (0700 for /root), and the unprivileged program could not reach the venv.
 */
function ancestorDirs(path: string, created: Set<string>): string[] {
  const chain: string[] = [];
  for (let p = dirname(path); p !== "/" && p !== "."; p = dirname(p)) chain.unshift(p);
  const args: string[] = [];
  for (const p of chain) {
    if (created.has(p)) continue;
    args.push("--perms", "0755", "--dir", p);
    created.add(p);
  }
  return args;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/** The bwrap options and command for one run. Pure apart from reading the host's system-directory layout. */
export function bwrapArgs(l: SandboxLayout): BwrapInvocation {
  const args: string[] = [];
  if (l.mode === "userns") {
    args.push("--unshare-user", "--uid", "1000", "--gid", "1000");
    if (l.disableNestedUserns) args.push("--disable-userns");
  }
  args.push(
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup-try",
    "--hostname",
    SANDBOX_HOSTNAME,
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
  );
  // setpriv needs the first two to switch to the sandbox uid and CAP_SETPCAP to empty the bounding set; it
  // drops them (and everything else) before the program starts, and the uid change alone clears the permitted set.
  if (l.mode === "root") args.push("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP");
  args.push("--seccomp", String(l.seccompFd));

  args.push(...systemMounts());
  for (const [fd, dest] of [
    [l.fileFds.passwd, "/etc/passwd"],
    [l.fileFds.group, "/etc/group"],
    [l.fileFds.hosts, "/etc/hosts"],
  ] as const)
    args.push("--perms", "0444", "--file", String(fd), dest);
  args.push("--proc", "/proc", "--dev", "/dev");
  args.push("--perms", "1777", "--size", String(l.tmpfsBytes), "--tmpfs", "/dev/shm");
  args.push("--perms", "1777", "--size", String(l.tmpfsBytes), "--tmpfs", SANDBOX_PATHS.tmp);

  const created = new Set<string>([SANDBOX_PATHS.tmp]);
  const mounted: string[] = [];
  for (const dir of [l.basePrefix, l.venv]) {
    // A system Python under /usr is already there; a venv inside the base prefix comes with it.
    if (isUnder(dir, "/usr") || mounted.some((m) => isUnder(dir, m))) continue;
    args.push(...ancestorDirs(dir, created));
    args.push("--ro-bind", dir, dir);
    mounted.push(dir);
  }

  args.push("--perms", "0755", "--dir", "/home");
  args.push("--perms", "0755", "--dir", SANDBOX_PATHS.code);
  args.push("--ro-bind", l.publicDir, SANDBOX_PATHS.data);
  args.push("--bind", l.submissionDir, SANDBOX_PATHS.submission);
  // The working dir is a tmpfs: fresh for every run, gone with it, and (in root mode) its pages are charged
  // to the run's memory cgroup, so what the program stores there counts against its memory limit instead of
  // filling the host's disk.
  args.push("--perms", "1777", "--size", String(l.tmpfsBytes), "--tmpfs", SANDBOX_PATHS.work);
  args.push("--perms", "0444", "--file", String(l.fileFds.program), SANDBOX_PATHS.program);
  args.push("--remount-ro", "/");
  args.push("--chdir", SANDBOX_PATHS.work);

  args.push("--clearenv");
  for (const [k, v] of Object.entries(l.env)) args.push("--setenv", k, v);

  const command: string[] = [];
  if (l.mode === "root") {
    if (l.uid === undefined) throw new Error("bwrapArgs: root mode needs a sandbox uid");
    command.push(
      l.setpriv ?? "/usr/bin/setpriv",
      `--reuid=${l.uid}`,
      `--regid=${l.uid}`,
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      // setuid-root binaries under /usr (su, mount, ...) must not regain privileges.
      "--no-new-privs",
      "--",
    );
  }
  command.push(...l.command);
  return { options: args, command };
}
