import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireAgentPython, type AgentPython } from "../runtime/venv.js";
import { SANDBOX_PATHS } from "./bwrap-args.js";
import { RunCgroup, detectCgroups } from "./cgroup.js";
import { programEnv } from "./env.js";
import type { ExecRequest, ExecResult, Executor } from "./executor.js";
import { launcherArgv, type RlimitTable } from "./launcher.js";
import { cpuRlimit, currentTaskCount, fsizeRlimit, memoryBytes, resolveLimits } from "./limits.js";
import { checkPublicDir, finishRun, makeRunDir, removeRunDirLater, writeProgram } from "./run-files.js";
import { systemTool } from "./probe.js";
import { starterArgv } from "./starter.js";
import { supervise } from "./supervise.js";

export const NO_ISOLATION_WARNING =
  "WARNING: --no-isolation: agent programs run directly on this machine with your user's rights. " +
  "They can read any file you can (including private answers), use the network and signal your processes. " +
  "This is NOT a security boundary; use it only for code you trust.";

/**
 * Rewrites the container paths a program uses (/home/data, /home/submission, /home/work) to real directories,
 * so programs written for the sandbox run unchanged. A textual rewrite: paths built at run time from pieces
 * are not caught, which is acceptable for an opt-in, trusted-code mode.
 */
export function rewriteContainerPaths(code: string, to: { data: string; submission: string; work: string }): string {
  // Whole path components only: "/home/database" is not "/home/data".
  const swap = (text: string, from: string, replacement: string) =>
    text.replace(new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`, "g"), () => replacement);
  return swap(swap(swap(code, SANDBOX_PATHS.submission, to.submission), SANDBOX_PATHS.data, to.data), SANDBOX_PATHS.work, to.work);
}

/**
 * Runs the program with the venv Python directly, without any isolation (only the resource limits that
 * rlimits and, when writable, cgroups give). For machines without bubblewrap or user namespaces, when the
 * user explicitly accepts the risk.
 */
export class UnsandboxedExecutor implements Executor {
  readonly name = "unsandboxed";
  private readonly py: AgentPython;

  constructor(opts: { python?: AgentPython } = {}) {
    this.py = opts.python ?? requireAgentPython();
  }

  describe(): string {
    return "no isolation (direct execution; not a security boundary)";
  }

  async run(req: ExecRequest): Promise<ExecResult> {
    const limits = resolveLimits(req.limits);
    checkPublicDir(req.publicDir);
    writeProgram(req.outDir, req.code);
    const dir = makeRunDir({ withWork: true });
    const cgroup = RunCgroup.create(detectCgroups(), { maxProcesses: limits.maxProcesses, memoryMb: limits.memoryMb, cpus: limits.cpus });
    try {
      const program = join(dir.root, "program.py");
      writeFileSync(program, rewriteContainerPaths(req.code, { data: req.publicDir, submission: dir.submission, work: dir.work }));
      const rlimits: RlimitTable = { RLIMIT_CPU: cpuRlimit(limits), RLIMIT_FSIZE: fsizeRlimit(limits), RLIMIT_CORE: [0, 0] };
      if (process.getuid?.() !== 0) {
        // Counts all of the user's processes; root ignores it (the pids cgroup, when there is one, still applies).
        const n = currentTaskCount() + limits.maxProcesses;
        rlimits.RLIMIT_NPROC = [n, n];
      }
      if (!cgroup.has("memory")) rlimits.RLIMIT_AS = [memoryBytes(limits), memoryBytes(limits)];
      const env = programEnv({
        limits,
        home: dir.work,
        tmp: dir.work,
        path: [join(this.py.venv, "bin"), "/usr/local/bin", "/usr/bin", "/bin"],
        extra: req.env,
      });
      const bash = systemTool("bash");
      const launcher = launcherArgv(this.py.python, {
        rlimits,
        argv: [this.py.python, ...(req.launch ? req.launch.args(program) : [program])],
      });
      if (!bash && cgroup.procsFiles().length > 0) throw new Error("bash is needed to start a program in its cgroups");
      const raw = await supervise({
        argv: bash
          ? starterArgv({ bash, keepFds: [3], procsFiles: cgroup.procsFiles(), mount: null, keyctl: null, argv: launcher })
          : launcher,
        reportChannel: true,
        env,
        cwd: dir.work,
        limits,
        signal: req.signal,
        cgroup,
        killTree: "group",
        stdin: req.launch?.stdin,
        onStdout: req.onStdout,
      });
      cgroup.killAll();
      const quota = cgroup.cpuQuotaCores();
      return finishRun({
        outDir: req.outDir,
        limits,
        raw,
        submissionDir: dir.submission,
        cgroup,
        maxSubmissionBytes: req.maxSubmissionBytes,
        cpuLimit: quota === null ? null : { cores: quota, by: "cgroup-quota" },
        notes: ["ran without isolation (--no-isolation)"],
      });
    } finally {
      await cgroup.destroy();
      removeRunDirLater(dir);
    }
  }
}
