import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { formatGradeReport } from "../../grading/index.js";
import { mlerlHome } from "../../paths.js";
import { DEFAULT_ENV, DEFAULT_REWARD_SETTINGS, DEFAULT_SPLIT_CONFIG } from "../../core/config.js";
import { openEnvironment } from "../../rollout/environment.js";
import { DEFAULT_LIMITS, type ExecLimits } from "../../sandbox/executor.js";
import { getTask } from "../../tasks/registry.js";
import { readNumber } from "../flags.js";
import { dataDirOf, fileStamp, interruptOnSigint } from "../options.js";

interface ExecOptions {
  task: string;
  code: string;
  timeout?: string;
  memory?: string;
  threads?: string;
  cpus?: string;
  isolation: boolean;
  out?: string;
  instrument: string;
  json?: boolean;
}

function readProgram(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UserError(`--code ${file}: no such file`, "pass the path of a Python program, e.g. --code solution.py");
  return readFileSync(path, "utf8");
}

/** Elapsed time on stderr while a program runs: a live line on a terminal, a line every 10 s otherwise. */
function startProgress(label: string): () => void {
  const t0 = Date.now();
  const tty = process.stderr.isTTY === true;
  const timer = setInterval(
    () => {
      const s = Math.round((Date.now() - t0) / 1000);
      if (tty) process.stderr.write(`\r${label}: running, ${s} s elapsed`);
      else process.stderr.write(`${label}: running, ${s} s elapsed\n`);
    },
    tty ? 1000 : 10_000,
  );
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write("\r\x1b[K");
  };
}

function lastLines(text: string, n: number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  return lines
    .slice(-n)
    .map((l) => `  | ${l}`)
    .join("\n");
}

export function defineExec(cmd: Command): void {
  cmd
    .requiredOption("--task <id>", "task id (see `mlerl tasks list`)")
    .requiredOption("--code <file>", "the Python program; it reads /home/data and writes /home/submission/submission.csv")
    .option("--timeout <seconds>", "wall-clock deadline; the whole process tree is killed then (default 120)")
    .option("--memory <MiB>", "memory limit (default 4096)")
    .option("--threads <n>", "BLAS/OpenMP threads the program is told to use (default 1)")
    .option("--cpus <n>", "CPU cores the program may use at once, a cgroup quota (default: the thread count)")
    .option(
      "--no-isolation",
      "run WITHOUT the sandbox, directly with the venv Python (not a security boundary; for machines without bubblewrap)",
    )
    .option(
      "--out <dir>",
      "where program.py, stdout.txt, stderr.txt, result.json, submission.csv and grade.json go (default: a new dir under ~/.cache/mlerl/exec)",
    )
    .option("--instrument <kind>", "insert milestone markers for partial credit: ast | none", "ast")
    .option("--json", "print the execution result, the grade report, the milestones and the reward breakdown as JSON")
    .action(async (opts: ExecOptions, cmd: Command) => {
      const limits: Partial<ExecLimits> = {};
      const timeout = opts.timeout === undefined ? undefined : readNumber("--timeout", opts.timeout, { positive: true });
      const memory = opts.memory === undefined ? undefined : readNumber("--memory", opts.memory, { min: 1 });
      const threads = opts.threads === undefined ? undefined : readNumber("--threads", opts.threads, { int: true, min: 1 });
      const cpus = opts.cpus === undefined ? undefined : readNumber("--cpus", opts.cpus, { positive: true });
      if (timeout !== undefined) limits.timeoutSec = timeout;
      if (memory !== undefined) limits.memoryMb = memory;
      if (threads !== undefined) limits.threads = threads;
      if (cpus !== undefined) limits.cpus = cpus;
      if (opts.instrument !== "ast" && opts.instrument !== "none")
        throw new UserError(
          `--instrument must be ast or none, got '${opts.instrument}'`,
          "e.g. --instrument none to run the program exactly as written",
        );
      const code = readProgram(opts.code);
      const dataDir = dataDirOf(cmd);
      const spec = getTask(opts.task, dataDir);
      const stamp = fileStamp();
      const outDir = resolve(opts.out ?? join(mlerlHome(), "exec", `${spec.id}-${stamp}`));
      const env = await openEnvironment({
        dataDir,
        taskIds: [spec.id],
        env: {
          ...DEFAULT_ENV,
          executor: opts.isolation ? "sandbox" : "unsandboxed",
          timeoutSec: limits.timeoutSec ?? DEFAULT_LIMITS.timeoutSec,
          instrumentation: opts.instrument === "ast",
        },
        // The reward a default training run would give it, on the reward split; the report split is shown beside it.
        reward: DEFAULT_REWARD_SETTINGS,
        split: DEFAULT_SPLIT_CONFIG,
        limits,
        log: (line: string) => process.stderr.write(`${line}\n`),
      });
      const stop = interruptOnSigint(() => {});
      const progress = startProgress(`mlerl exec ${spec.id}`);
      let run;
      try {
        run = await env.execute(spec.id, code, outDir, stop.signal);
      } finally {
        progress();
        stop.dispose();
        await env.close();
      }
      const { execution: e, record } = run;
      const { reward, instrumentation } = record;
      const { grade } = record;
      if (opts.json) {
        const milestones = instrumentation.credited.map((h) => ({ milestone: h.milestone, line: h.line }));
        process.stdout.write(
          `${JSON.stringify({ task: spec.id, executor: env.describe(), instrument: opts.instrument, instrumentNote: instrumentation.note, outDir, execution: e, grade, milestones, reward, record }, null, 2)}\n`,
        );
      } else {
        const out: string[] = [];
        out.push(`task      ${spec.id} (${spec.metric}, ${spec.lowerIsBetter ? "lower" : "higher"} is better)`);
        out.push(`executor  ${env.describe()}`);
        out.push(`result    ${e.summary}`);
        out.push(
          `cpu       ${e.cpuSec === null ? "-" : `${e.cpuSec.toFixed(2)} s`}   peak memory ${e.peakMemoryMb === null ? "-" : `${e.peakMemoryMb.toFixed(0)} MiB`}   cores ${e.cpuLimit ? `${e.cpuLimit.cores} (${e.cpuLimit.by})` : "unbounded"}`,
        );
        for (const n of e.notes ?? []) out.push(`note      ${n}`);
        if (e.stdout.text) out.push(`stdout (last lines${e.stdout.truncated ? ", truncated" : ""}):\n${lastLines(e.stdout.text, 8)}`);
        if (e.stderr.text) out.push(`stderr (last lines${e.stderr.truncated ? ", truncated" : ""}):\n${lastLines(e.stderr.text, 8)}`);
        out.push(
          `milestones ${reward.milestonesReached.length ? reward.milestonesReached.join(", ") : "none"}${instrumentation.note ? ` (${instrumentation.note})` : ""}`,
        );
        out.push(
          `reward    ${reward.reward} (${reward.failureKind === "none" ? "valid submission" : reward.failureKind}${reward.validationMetric !== null ? `; validation metric ${reward.validationMetric}` : ""})`,
        );
        out.push("grade:");
        out.push(formatGradeReport(grade).replace(/^/gm, "  ").trimEnd());
        out.push(`outputs   ${outDir}`);
        process.stdout.write(`${out.join("\n")}\n`);
      }
      process.exitCode = e.exitCode === 0 && grade.valid_submission ? 0 : 1;
    });
}
