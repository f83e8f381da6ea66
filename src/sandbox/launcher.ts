import { z } from "zod";

/**
 * A tiny supervisor that runs inside the sandbox, between the sandbox and the program: it sets the resource
 * limits, makes itself the child subreaper so orphaned grandchildren are reaped (and counted) by it, runs the
 * program as its child, and reports the program's exit status and the `wait4` resource usage of the whole
 * reaped tree (CPU seconds, largest resident set) as one JSON line on fd 3, which the program never sees.
 *
 * Python because the agent runtime is Python anyway (no compiler needed on the host); `-I -S` keeps its
 * start-up to a few milliseconds.
 */
export const LAUNCHER_SOURCE = String.raw`
import json, os, resource, sys, time
cfg = json.loads(sys.argv[1])
for name, (soft, hard) in cfg["rlimits"].items():
    try:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    except (ValueError, OSError) as e:
        os.write(2, ("mlerl-launcher: cannot set %s: %s\n" % (name, e)).encode())
try:
    import ctypes
    libc = ctypes.CDLL(None)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    # Not dumpable: the program runs as the same uid but must not open /proc/<launcher>/fd/3 to forge the
    # report (the flag is reset for the program by execve).
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
except Exception:
    pass
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.close(3)
        os.execve(cfg["argv"][0], cfg["argv"], os.environ)
    except BaseException as e:
        os.write(2, ("mlerl-launcher: cannot start the program: %s\n" % e).encode())
    os._exit(127)
status = None
while status is None:
    try:
        p, st, _ = os.wait4(-1, 0)
    except ChildProcessError:
        break
    except InterruptedError:
        continue
    if p == pid:
        status = st
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
report = {"wallSec": wall, "cpuSec": ru.ru_utime + ru.ru_stime, "maxRssKb": ru.ru_maxrss, "exitCode": None, "signal": None}
if status is not None and os.WIFEXITED(status):
    report["exitCode"] = os.WEXITSTATUS(status)
elif status is not None and os.WIFSIGNALED(status):
    report["signal"] = os.WTERMSIG(status)
try:
    os.write(3, (json.dumps(report) + "\n").encode())
except OSError:
    pass
if report["signal"] is not None:
    os._exit(128 + report["signal"])
os._exit(report["exitCode"] if report["exitCode"] is not None else 125)
`;

/** What the launcher writes on fd 3 when the program has exited. */
export const LauncherReport = z.object({
  wallSec: z.number(),
  cpuSec: z.number(),
  maxRssKb: z.number(),
  exitCode: z.number().int().nullable(),
  signal: z.number().int().nullable(),
});
export type LauncherReport = z.infer<typeof LauncherReport>;

/** Resource limits by their `resource` module names, as [soft, hard]. */
export type RlimitTable = Partial<
  Record<"RLIMIT_CPU" | "RLIMIT_FSIZE" | "RLIMIT_NPROC" | "RLIMIT_AS" | "RLIMIT_CORE" | "RLIMIT_NOFILE", [number, number]>
>;

export interface LauncherConfig {
  rlimits: RlimitTable;
  /** The program's argv; argv[0] is an absolute path (execve does no PATH lookup). */
  argv: string[];
}

const PRLIMIT_FLAGS: Record<keyof RlimitTable, string> = {
  RLIMIT_CPU: "--cpu",
  RLIMIT_FSIZE: "--fsize",
  RLIMIT_NPROC: "--nproc",
  RLIMIT_AS: "--as",
  RLIMIT_CORE: "--core",
  RLIMIT_NOFILE: "--nofile",
};

/**
 * The argv that runs `cfg.argv` with the limits set by util-linux prlimit, which execs the program in place:
 * no extra process, no interpreter start. Used when cgroups provide the measurements.
 */
export function prlimitArgv(prlimit: string, cfg: LauncherConfig): string[] {
  const flags = Object.entries(cfg.rlimits).map(([name, [soft, hard]]) => `${PRLIMIT_FLAGS[name as keyof RlimitTable]}=${soft}:${hard}`);
  return [prlimit, ...flags, "--", ...cfg.argv];
}

/** The argv that runs `cfg.argv` under the launcher with interpreter `python`. */
export function launcherArgv(python: string, cfg: LauncherConfig): string[] {
  return [python, "-I", "-S", "-c", LAUNCHER_SOURCE, JSON.stringify(cfg)];
}
