import { z } from "zod";

/** Limits for one execution. Every field has a default (see DEFAULT_LIMITS). */
export const ExecLimits = z.object({
  /** Wall-clock deadline in seconds; the whole process tree is killed then. */
  timeoutSec: z.number().positive(),
  /** Extra time after the deadline for the sandbox to tear down before it is force-killed. */
  graceSec: z.number().nonnegative(),
  /** CPU seconds (RLIMIT_CPU). */
  cpuSec: z.number().positive(),
  /** Address-space / memory cap in MiB. */
  memoryMb: z.number().positive(),
  /** Max processes/threads the program may have at once. */
  maxProcesses: z.number().int().positive(),
  /** Largest file the program may write, MiB. */
  maxFileSizeMb: z.number().positive(),
  /** Bytes of stdout and of stderr kept (head and tail); the rest is dropped and marked. */
  maxOutputBytes: z.number().int().positive(),
  /** OMP/BLAS/MKL threads the program is told to use. */
  threads: z.number().int().positive(),
  /**
   * CPU cores the whole process tree may use at once: a CFS quota of its cgroup where the cpu controller is
   * available, else CPU affinity (rounded up to whole cores). Defaults to `threads`. Bounds how much a
   * many-threaded program can slow the programs running beside it.
   */
  cpus: z.number().positive(),
});
export type ExecLimits = z.infer<typeof ExecLimits>;

export const DEFAULT_LIMITS: ExecLimits = {
  timeoutSec: 120,
  graceSec: 5,
  cpuSec: 600,
  memoryMb: 4096,
  maxProcesses: 64,
  maxFileSizeMb: 512,
  maxOutputBytes: 64 * 1024,
  threads: 1,
  cpus: 1,
};

export interface ExecRequest {
  /** The Python program, as one file. */
  code: string;
  /** The task's public/ dir, mounted read-only at /home/data. */
  publicDir: string;
  /** A directory the executor may create and fill: program, outputs, submission. Kept after the run. */
  outDir: string;
  limits?: Partial<ExecLimits>;
  /** Extra environment variables for the program. */
  env?: Record<string, string>;
  /** Aborting kills the program like a timeout (reported as `aborted`). */
  signal?: AbortSignal;
  /**
   * Start the program through a launcher instead of `python program.py`: the interpreter arguments for the
   * program's path inside the sandbox, and bytes fed to its stdin (the instrumentation plan travels this way,
   * so it is never in a file the program can read).
   */
  launch?: { args: (programPath: string) => string[]; stdin: string };
  /** Sees every stdout chunk before head/tail truncation (markers in a dropped middle still count). */
  onStdout?: (chunk: Buffer) => void;
  /**
   * The tags (tag → marker kind) the caller's marker scanner accepts; tags only, never the nonce. An executor that
   * runs the program on another machine (a queue worker) cannot call onStdout with every chunk: it scans there
   * with these tags, strips the genuine markers from both streams, and returns what it found in `markers`.
   */
  markerTags?: ReadonlyMap<string, string>;
  /**
   * Largest submission.csv copied out of the sandbox, in bytes (default: maxFileSizeMb). A larger one is
   * refused unread. The rollout sets it from the task's answers file (grading/submission-limits.ts).
   */
  maxSubmissionBytes?: number;
}

/** How the execution's CPU use was bounded. */
export interface CpuLimit {
  /** Cores granted (the quota, or the number of CPUs in the affinity mask). */
  cores: number;
  by: "cgroup-quota" | "affinity";
}

export interface CapturedOutput {
  /** Head and tail of the stream; a marker line says how much was dropped in between. */
  text: string;
  truncated: boolean;
  totalBytes: number;
}

export type KillReason = "timeout" | "memory" | "output" | "aborted";

export interface ExecResult {
  exitCode: number | null;
  /** Signal name when the program died of a signal (e.g. SIGKILL). */
  signal: string | null;
  timedOut: boolean;
  /** Why mlerl killed the program, if it did. */
  killed: KillReason | null;
  /** Δt: wall-clock seconds from start to exit. */
  wallSec: number;
  /** User + system CPU seconds of the whole tree, when measurable. */
  cpuSec: number | null;
  /** Peak resident memory in MiB, when measurable. */
  peakMemoryMb: number | null;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  /** Path of the copied submission.csv (in outDir) if the program wrote one. */
  submissionPath: string | null;
  /** The CPU bound applied; null when none could be (no cpu cgroup and no affinity tool). */
  cpuLimit?: CpuLimit | null;
  /** One line for humans: "exited 0 in 3.2 s", "killed at the 10 s deadline", ... */
  summary: string;
  /** What else happened that a reader should know (limits hit, a refused submission, no isolation). */
  notes?: string[];
  /** Which machine ran it, when that is not the executor itself (a queue worker's name). */
  worker?: string;
  /**
   * The marker scan done where the program ran (see ExecRequest.markerTags); the streams then already have their
   * genuine markers removed. Shaped like instrument/markers.ts's MarkerReport, which checks it before use.
   */
  markers?: ScannedMarkers;
}

export interface ScannedMarkers {
  reached: Array<{ milestone: string; kind: string; offset: number; line: number }>;
  milestones: string[];
  validationMetric: number | null;
  rejected: number;
  replayed: number;
}

/** Runs one agent program. Implementations: bubblewrap sandbox (default), unsandboxed (opt-in), simulated. */
export interface Executor {
  readonly name: string;
  run(req: ExecRequest): Promise<ExecResult>;
}
