import { spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { HeadTailCapture } from "./capture.js";
import type { CapturedOutput, ExecLimits, KillReason } from "./executor.js";
import { LauncherReport } from "./launcher.js";
import type { RunCgroup } from "./cgroup.js";

/** Output beyond this many bytes (stdout + stderr) is a flood: the program is killed, not just truncated. */
export function floodBytes(limits: ExecLimits): number {
  return Math.max(32 * 1024 * 1024, 64 * limits.maxOutputBytes);
}

export interface SupervisePlan {
  /** The command to spawn: the sandbox (which runs the launcher) or the launcher itself. */
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  limits: ExecLimits;
  signal?: AbortSignal;
  cgroup?: RunCgroup;
  /**
   * How to kill everything the program started. A bwrap sandbox dies with its parent process and takes its
   * whole PID namespace with it, so killing the spawned process is enough; an unsandboxed program is killed
   * by its process group.
   */
  killTree: "process" | "group";
  /** Bytes written to the program's stdin, which is then closed (default: no stdin). */
  stdin?: string;
  /**
   * The in-sandbox launcher's report channel on fd 3. Only the launcher may hold it (it closes it for the
   * program); without a launcher the child gets no fd 3 and the outcome comes from the exit status and cgroups.
   */
  reportChannel: boolean;
  /** Bytes fed to the child on these descriptors (each a pipe, closed after the bytes): bwrap's --args, --file, --seccomp. */
  dataFds?: { fd: number; data: Buffer | string }[];
  onStdout?: (chunk: Buffer) => void;
}

export interface RawOutcome {
  exitCode: number | null;
  signal: string | null;
  killed: KillReason | null;
  timedOut: boolean;
  /** Wall seconds from spawn to exit, sandbox set-up included. */
  wallSec: number;
  report: LauncherReport | null;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `signal ${n}`;
}

/**
 * Process groups of unsandboxed programs still running. A sandbox dies with mlerl (bwrap's die-with-parent);
 * a plain process group would not, so it is killed when mlerl exits.
 */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const g of liveGroups) {
      try {
        process.kill(-g, "SIGKILL");
      } catch {
        /* gone */
      }
    }
  });
}

/** Runs one plan to the end: captures output, enforces the deadline, flood and abort, and never throws for the program's sake. */
export function supervise(plan: SupervisePlan): Promise<RawOutcome> {
  const { limits } = plan;
  const out = new HeadTailCapture(limits.maxOutputBytes);
  const err = new HeadTailCapture(limits.maxOutputBytes);
  const flood = floodBytes(limits);
  const started = process.hrtime.bigint();
  const [cmd, ...args] = plan.argv;
  if (!cmd) throw new Error("supervise: empty argv");

  return new Promise<RawOutcome>((resolve) => {
    const stdio: ("ignore" | "pipe")[] = [
      plan.stdin === undefined ? "ignore" : "pipe",
      "pipe",
      "pipe",
      plan.reportChannel ? "pipe" : "ignore",
    ];
    for (const d of plan.dataFds ?? []) {
      while (stdio.length <= d.fd) stdio.push("ignore");
      stdio[d.fd] = "pipe";
    }
    const child = spawn(cmd, args, { env: plan.env, cwd: plan.cwd, stdio, detached: plan.killTree === "group" });
    if (plan.killTree === "group" && child.pid !== undefined) trackGroup(child.pid);
    let killed: KillReason | null = null;
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let exitedAt: bigint | null = null;
    let reportText = "";
    let done = false;
    const timers: NodeJS.Timeout[] = [];

    const killNow = () => {
      try {
        if (plan.killTree === "group" && child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        /* already gone */
      }
      plan.cgroup?.killAll();
    };
    const stop = (why: KillReason) => {
      if (killed || exit) return;
      killed = why;
      if (why === "timeout") timedOut = true;
      killNow();
      // Teardown normally takes milliseconds; if pipes stay open (a process escaped the group), stop waiting.
      timers.push(setTimeout(finish, limits.graceSec * 1000 + 100));
    };
    const onAbort = () => stop("aborted");

    const finish = () => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      plan.signal?.removeEventListener("abort", onAbort);
      for (const s of child.stdio.slice(1)) (s as Readable | Writable | null)?.destroy();
      if (plan.killTree === "group") {
        killNow(); // daemonised leftovers of an unsandboxed program
        if (child.pid !== undefined) liveGroups.delete(child.pid);
      }
      const end = exitedAt ?? process.hrtime.bigint();
      let report: LauncherReport | null = null;
      const line = reportText.trim().split("\n").pop();
      if (line) {
        try {
          const parsed = LauncherReport.safeParse(JSON.parse(line));
          if (parsed.success) report = parsed.data;
        } catch {
          /* a torn line: no report */
        }
      }
      let exitCode: number | null = exit?.code ?? null;
      let signal: string | null = exit?.signal ?? null;
      if (report && !killed) {
        exitCode = report.exitCode;
        signal = report.signal === null ? null : signalName(report.signal);
      }
      resolve({
        exitCode,
        signal,
        killed,
        timedOut,
        wallSec: Number(end - started) / 1e9,
        report,
        stdout: out.result(),
        stderr: err.result(),
      });
    };

    for (const d of plan.dataFds ?? []) {
      const w = child.stdio[d.fd] as Writable | null;
      // bwrap reads each to its end during set-up; if it dies first, the write fails and nothing waits for it.
      w?.on("error", () => {});
      w?.end(d.data);
    }
    if (plan.stdin !== undefined && child.stdin) {
      // A program that never reads its stdin must not turn into an EPIPE here.
      child.stdin.on("error", () => {});
      child.stdin.end(plan.stdin);
    }
    const watch = (stream: Readable | null, capture: HeadTailCapture, observe?: (chunk: Buffer) => void) => {
      stream?.on("data", (chunk: Buffer) => {
        observe?.(chunk);
        capture.push(chunk);
        if (out.total + err.total > flood) stop("output");
      });
      stream?.on("error", () => {});
    };
    watch(child.stdout, out, plan.onStdout);
    watch(child.stderr, err);
    const reportStream = child.stdio[3] as Readable | null;
    reportStream?.on("data", (chunk: Buffer) => {
      if (reportText.length < 65536) reportText += chunk.toString("utf8");
    });
    reportStream?.on("error", () => {});

    child.on("error", (e) => {
      err.push(Buffer.from(`mlerl: cannot start ${cmd}: ${e.message}\n`));
      exit = { code: 127, signal: null };
      finish();
    });
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      exitedAt = process.hrtime.bigint();
      // Normally 'close' follows at once; a leftover holding a pipe open must not hold up the result.
      timers.push(setTimeout(finish, limits.graceSec * 1000 + 100));
    });
    child.on("close", finish);

    timers.push(setTimeout(() => stop("timeout"), limits.timeoutSec * 1000));
    if (plan.signal?.aborted) stop("aborted");
    else plan.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
