import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { formatGradeReport } from "../../grading/index.js";
import { mlerlHome } from "../../paths.js";
import { createExecutor } from "../../sandbox/index.js";
import type { ExecLimits } from "../../sandbox/executor.js";
import { runRollout } from "../../rollout/run-rollout.js";
import { AstInstrumenter } from "../../instrument/index.js";
import { requirePrepared } from "../../tasks/registry.js";
import { dataDirOf } from "../options.js";

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

function positive(flag: string, value: string | undefined, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UserError(
      `${flag} must be a positive ${integer ? "integer" : "number"}, got '${value}'`,
      `e.g. ${flag} ${integer ? "2" : "60"}`,
    );
  }
  return n;
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

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description(
      "run one Python program on a prepared task in the sandbox and grade its /home/submission/submission.csv (exit 0 when it exits 0 with a valid submission)",
    )
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
      const timeout = positive("--timeout", opts.timeout);
      const memory = positive("--memory", opts.memory);
      const threads = positive("--threads", opts.threads, true);
      const cpus = positive("--cpus", opts.cpus);
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
      const { spec, paths } = requirePrepared(opts.task, dataDirOf(cmd));
      const executor = createExecutor({ isolation: opts.isolation });
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      const outDir = resolve(opts.out ?? join(mlerlHome(), "exec", `${spec.id}-${stamp}`));

      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once("SIGINT", onSigint);
      const stop = startProgress(`mlerl exec ${spec.id}`);
      const instrumenter = opts.instrument === "ast" ? new AstInstrumenter() : null;
      let run;
      try {
        run = await runRollout({ executor, instrumenter, spec, paths, code, outDir, limits, signal: ac.signal });
      } finally {
        stop();
        process.removeListener("SIGINT", onSigint);
        await instrumenter?.close();
      }
      const { execution: e, grade, reward, markers } = run;
      if (opts.json) {
        const milestones = markers.reached.map((h) => ({ milestone: h.milestone, line: h.line, offset: h.offset }));
        process.stdout.write(
          `${JSON.stringify({ task: spec.id, executor: executor.describe(), instrument: opts.instrument, instrumentNote: run.instrumentNote, outDir, execution: e, grade, milestones, reward }, null, 2)}\n`,
        );
      } else {
        const out: string[] = [];
        out.push(`task      ${spec.id} (${spec.metric}, ${spec.lowerIsBetter ? "lower" : "higher"} is better)`);
        out.push(`executor  ${executor.describe()}`);
        out.push(`result    ${e.summary}`);
        out.push(
          `cpu       ${e.cpuSec === null ? "-" : `${e.cpuSec.toFixed(2)} s`}   peak memory ${e.peakMemoryMb === null ? "-" : `${e.peakMemoryMb.toFixed(0)} MiB`}   cores ${e.cpuLimit ? `${e.cpuLimit.cores} (${e.cpuLimit.by})` : "unbounded"}`,
        );
        for (const n of e.notes ?? []) out.push(`note      ${n}`);
        if (e.stdout.text) out.push(`stdout (last lines${e.stdout.truncated ? ", truncated" : ""}):\n${lastLines(e.stdout.text, 8)}`);
        if (e.stderr.text) out.push(`stderr (last lines${e.stderr.truncated ? ", truncated" : ""}):\n${lastLines(e.stderr.text, 8)}`);
        out.push(
          `milestones ${reward.milestonesReached.length ? reward.milestonesReached.join(", ") : "none"}${run.instrumentNote ? ` (${run.instrumentNote})` : ""}`,
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
