import { chownSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { requireAgentPython, type AgentPython } from "../runtime/venv.js";
import { argsData, bwrapArgs, SANDBOX_HOSTNAME, SANDBOX_PATHS } from "./bwrap-args.js";
import { RunCgroup, removeStaleRunCgroups } from "./cgroup.js";
import { programEnv } from "./env.js";
import { pickCpus, withAffinity } from "./cpu-affinity.js";
import type { CpuLimit, ExecRequest, ExecResult, Executor } from "./executor.js";
import { clearUidKeyrings } from "./keyring.js";
import { launcherArgv, prlimitArgv, type RlimitTable } from "./launcher.js";
import { cpuRlimit, currentTaskCount, fsizeRlimit, memoryBytes, resolveLimits } from "./limits.js";
import { probeIsolation, type IsolationProbe } from "./probe.js";
import { checkPublicDir, finishRun, makeRunDir, removeRunDirLater, writeProgram } from "./run-files.js";
import { sandboxSeccompFilter } from "./seccomp-filter.js";
import { starterArgv, starterFailure, type StarterMount } from "./starter.js";
import { canMountTmpfs, staleSubmissionMounts, submissionMountOptions, unmountSubmissionTmpfs } from "./submission-mount.js";
import { signalName, supervise } from "./supervise.js";
import { acquireSandboxUid } from "./uid-pool.js";

/**
 * Descriptors of one run, as the sandbox receives them: 3 is the in-sandbox launcher's report channel (only
 * on the launcher path); bwrap reads the rest and closes them before the program starts.
 */
const FD = { args: 4, seccomp: 5, program: 6, passwd: 7, group: 8, hosts: 9 } as const;

/** Files and directories a program may create in /home/submission: a few are plenty for a submission. */
const SUBMISSION_INODES = 4096;

/**
 * Runs agent programs in a bubblewrap sandbox laid out like MLE-bench's container: the task's public data
 * read-only at /home/data, a writable /home/submission (in root mode a tmpfs capped in bytes and inodes,
 * submission-mount.ts) and a fresh /home/work (the working directory and HOME; a tmpfs like /tmp,
 * size-capped and charged to the program's memory), and otherwise only /usr, a few loader files of /etc and
 * the agent venv, all read-only. No network (own empty network namespace), own PID/IPC/UTS namespaces, no
 * capabilities (an empty bounding set), a seccomp filter (seccomp-policy.ts), a CPU quota, and nothing of
 * mlerl's descriptors or session keyring (starter.ts).
 *
 * Containment of processes and memory depends on who runs mlerl:
 * - as root, bwrap runs without a user namespace and the program is started as a dedicated unprivileged uid
 *   (one per concurrent sandbox, see uid-pool.ts) with setpriv. Root ignores RLIMIT_NPROC, and inside a
 *   user namespace the sandbox's uid would still be root outside, so a fork bomb would only be stopped by a
 *   pids cgroup; with a uid of its own, RLIMIT_NPROC counts exactly this sandbox's processes, and the per-run
 *   pids and memory cgroups (used whenever the hierarchy is writable) bound the whole tree as well.
 * - as a normal user, bwrap needs an unprivileged user namespace; RLIMIT_NPROC is set to the user's current
 *   process count plus the allowance (it counts all of the user's processes), and memory is bounded by
 *   RLIMIT_AS unless a delegated cgroup is available.
 *
 * Measurements: where the per-run cpuacct and memory cgroups exist, CPU time and peak memory are the group's
 * counters (the whole tree, page cache and tmpfs included, i.e. exactly what the memory limit counts) and the
 * program is exec'd directly under prlimit, so the sandbox costs no extra process; its parent is then bwrap's
 * own root-owned init, which it cannot signal, and it holds no report channel: the exit status is bwrap's,
 * the resources the group's. Elsewhere a small in-sandbox launcher (launcher.ts) forks the program and
 * reports the wait4 rusage of the reaped tree on fd 3, which it closes for the program, at the price of one
 * more interpreter start.
 * bwrap reports a death by signal N as exit status 128 + N; such statuses are reported as that signal.
 */
export class BwrapExecutor implements Executor {
  readonly name = "bwrap";
  private readonly py: AgentPython;
  private readonly probe: IsolationProbe;

  private readonly forceLauncher: boolean;
  /** Root mode: /home/submission gets a capped tmpfs of its own (a trial mount succeeded). */
  private readonly canMountSubmission: boolean;

  /**
   * `measure: "launcher"` uses the in-sandbox launcher even where cgroups could measure (the path machines
   * without writable cgroups take); the default picks the cheapest exact option.
   */
  constructor(opts: { python?: AgentPython; env?: NodeJS.ProcessEnv; measure?: "auto" | "launcher" } = {}) {
    this.forceLauncher = opts.measure === "launcher";
    this.probe = probeIsolation(opts.env);
    if (!this.probe.works || !this.probe.bwrap.path) {
      const p = this.probe.problem ?? { message: "the sandbox is unavailable", fix: "run `mlerl doctor`" };
      throw new UserError(p.message, p.fix);
    }
    this.py = opts.python ?? requireAgentPython(opts.env);
    removeStaleRunCgroups(this.probe.cgroups);
    const tools =
      this.probe.mode === "root" && this.probe.mount && this.probe.umount ? { mount: this.probe.mount, umount: this.probe.umount } : null;
    if (tools) for (const m of staleSubmissionMounts()) void unmountSubmissionTmpfs(tools.umount, m);
    this.canMountSubmission = tools !== null && canMountTmpfs(tools.mount, tools.umount);
  }

  /** How the program is isolated here, for reports. */
  describe(): string {
    const cg = (["pids", "memory", "cpuacct", "cpu"] as const).filter((c) => this.probe.cgroups[c]);
    const who = this.probe.mode === "root" ? "as a dedicated unprivileged uid" : "in a user namespace";
    return `bubblewrap ${this.probe.bwrap.version ?? ""} ${who}; cgroups: ${cg.length ? cg.join(", ") : "none (rlimits only)"}`;
  }

  async run(req: ExecRequest): Promise<ExecResult> {
    const limits = resolveLimits(req.limits);
    checkPublicDir(req.publicDir);
    writeProgram(req.outDir, req.code);
    const dir = makeRunDir({ withWork: false });
    const lease = this.probe.mode === "root" ? acquireSandboxUid() : null;
    const cgroup = RunCgroup.create(this.probe.cgroups, {
      maxProcesses: limits.maxProcesses,
      memoryMb: limits.memoryMb,
      cpus: limits.cpus,
    });
    const mounted = lease !== null && this.canMountSubmission;
    try {
      const uid = lease?.uid ?? 1000;
      const notes: string[] = [];
      if (lease && !mounted) {
        chownSync(dir.submission, lease.uid, lease.uid);
        notes.push("/home/submission is a host directory here (no tmpfs could be mounted): per-file size cap only");
      }
      const mount: StarterMount | null = mounted
        ? {
            mount: this.probe.mount!,
            dir: dir.submission,
            options: submissionMountOptions({
              bytes: Math.min(memoryBytes(limits), fsizeRlimit(limits)[0]),
              inodes: SUBMISSION_INODES,
              uid,
            }),
          }
        : null;
      const passwd = `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${uid}:${uid}:sandbox:${SANDBOX_PATHS.work}:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
      const group = `root:x:0:\nsandbox:x:${uid}:\nnogroup:x:65534:\n`;
      const hosts = `127.0.0.1 localhost ${SANDBOX_HOSTNAME}\n::1 localhost ip6-localhost\n`;

      const rlimits: RlimitTable = {
        RLIMIT_CPU: cpuRlimit(limits),
        RLIMIT_FSIZE: fsizeRlimit(limits),
        RLIMIT_CORE: [0, 0],
      };
      if (this.probe.mode === "root") {
        rlimits.RLIMIT_NPROC = [limits.maxProcesses, limits.maxProcesses];
      } else {
        const n = currentTaskCount() + limits.maxProcesses;
        rlimits.RLIMIT_NPROC = [n, n];
      }
      if (!cgroup.has("memory")) rlimits.RLIMIT_AS = [memoryBytes(limits), memoryBytes(limits)];

      const venvBin = join(this.py.venv, "bin");
      const env = programEnv({
        limits,
        home: SANDBOX_PATHS.work,
        tmp: SANDBOX_PATHS.tmp,
        path: [venvBin, "/usr/local/bin", "/usr/bin", "/bin"],
        extra: req.env,
      });
      const useLauncher = this.forceLauncher || !(cgroup.has("cpuacct") && cgroup.has("memory") && this.probe.prlimit);
      const programArgs = req.launch ? req.launch.args(SANDBOX_PATHS.program) : [SANDBOX_PATHS.program];
      const launch = { rlimits, argv: [this.py.python, ...programArgs] };
      const inner = useLauncher ? launcherArgv(this.py.python, launch) : prlimitArgv(this.probe.prlimit!, launch);
      const { options, command } = bwrapArgs({
        mode: this.probe.mode,
        venv: this.py.venv,
        basePrefix: this.py.basePrefix,
        publicDir: req.publicDir,
        submissionDir: dir.submission,
        fileFds: { program: FD.program, passwd: FD.passwd, group: FD.group, hosts: FD.hosts },
        seccompFd: FD.seccomp,
        tmpfsBytes: memoryBytes(limits),
        env,
        uid: lease?.uid,
        setpriv: this.probe.setpriv ?? undefined,
        disableNestedUserns: this.probe.disableNestedUserns,
        command: inner,
      });
      let sandboxArgv = [this.probe.bwrap.path!, "--args", String(FD.args), "--", ...command];
      let cpuLimit: CpuLimit | null = null;
      const quota = cgroup.cpuQuotaCores();
      if (quota !== null) cpuLimit = { cores: quota, by: "cgroup-quota" };
      else if (this.probe.taskset) {
        const cpus = pickCpus(limits.cpus);
        if (cpus.length > 0) {
          sandboxArgv = withAffinity(this.probe.taskset, cpus, sandboxArgv);
          cpuLimit = { cores: cpus.length, by: "affinity" };
        }
      }
      const dataFds = [
        { fd: FD.args, data: argsData(options) },
        { fd: FD.seccomp, data: sandboxSeccompFilter() },
        { fd: FD.program, data: req.code },
        { fd: FD.passwd, data: passwd },
        { fd: FD.group, data: group },
        { fd: FD.hosts, data: hosts },
      ];
      const raw = await supervise({
        argv: starterArgv({
          bash: this.probe.bash!,
          keepFds: [...(useLauncher ? [3] : []), ...dataFds.map((d) => d.fd)],
          procsFiles: cgroup.procsFiles(),
          mount,
          keyctl: this.probe.keyctl,
          argv: sandboxArgv,
        }),
        env: { PATH: "/usr/bin:/bin" },
        limits,
        signal: req.signal,
        cgroup,
        killTree: "process",
        stdin: req.launch?.stdin,
        onStdout: req.onStdout,
        reportChannel: useLauncher,
        dataFds,
      });
      cgroup.killAll();
      const startFailure = starterFailure(raw.stderr.text);
      if (startFailure) notes.push(`the sandbox could not be started: ${startFailure}`);
      const setupError = /^bwrap: .*$/m.exec(raw.stderr.text);
      if (setupError && !raw.report) notes.push(`the sandbox failed to set up (${setupError[0]}); run \`mlerl doctor\``);
      if (!raw.report && !raw.killed) {
        if (useLauncher) {
          // Without its report the launcher died early, and with it the whole PID namespace.
          notes.push(
            "the launcher inside the sandbox was killed before the program finished (did the program kill its parent?); the whole sandbox was torn down",
          );
        }
        if (raw.exitCode !== null && raw.exitCode > 128 && raw.exitCode < 128 + 65) {
          raw.signal = signalName(raw.exitCode - 128);
          raw.exitCode = null;
        }
      }
      return finishRun({
        outDir: req.outDir,
        limits,
        raw,
        submissionDir: dir.submission,
        cgroup,
        notes,
        maxSubmissionBytes: req.maxSubmissionBytes,
        cpuLimit,
      });
    } finally {
      await cgroup.destroy();
      // The submission tmpfs is unmounted before its mount point is removed (nothing waits for either).
      removeRunDirLater(dir, mounted ? unmountSubmissionTmpfs(this.probe.umount!, dir.submission) : undefined);
      if (lease) {
        clearUidKeyrings(lease.uid, { setpriv: this.probe.setpriv!, keyctl: this.probe.keyctl });
        lease.release();
      }
    }
  }
}
