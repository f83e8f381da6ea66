import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { gradeBounded } from "../grading/index.js";
import type { ExecLimits, Executor } from "../sandbox/executor.js";
import type { TaskPaths, TaskSpec } from "../core/task.js";
import { fragmentByName, type Stage } from "../policy/fragments.js";
import type { Sampler } from "../policy/types.js";

/** Where a program ended up: a valid submission, or the first thing that went wrong. */
export type Outcome =
  | { kind: "valid"; score: number }
  | { kind: "invalid_submission"; error: string }
  | { kind: "no_submission" }
  | { kind: "timeout" }
  | { kind: "killed"; reason: string }
  | { kind: "error"; stage: Stage | "preamble"; message: string };

/** The fragment (by line) each line of a rendered program belongs to; the preamble is everything before the first. */
export function fragmentLines(program: string): Array<string | undefined> {
  const owners: Array<string | undefined> = [undefined];
  let current: string | undefined;
  for (const line of program.split("\n")) {
    const m = /^# ---- (\S+)$/.exec(line);
    if (m) current = m[1];
    owners.push(current);
  }
  return owners;
}

/**
 * The stage a failing program died in: the innermost traceback frame of the program file that lies in a fragment
 * (a preamble helper called from a fragment counts for that fragment), plus the exception line.
 */
export function failureStage(program: string, stderr: string, programFile: string): { stage: Stage | "preamble"; message: string } {
  const owners = fragmentLines(program);
  const base = programFile.split("/").pop() ?? programFile;
  const frames = [...stderr.matchAll(/File "([^"]+)", line (\d+)/g)].filter((m) => (m[1] ?? "").endsWith(`/${base}`) || m[1] === base);
  let stage: Stage | "preamble" = "preamble";
  for (const m of frames) {
    const owner = owners[Number(m[2])];
    if (owner) stage = fragmentByName(owner).stage;
  }
  const lines = stderr.trim().split("\n");
  return { stage, message: (lines[lines.length - 1] ?? "").slice(0, 200) };
}

export interface SurveyTask {
  spec: TaskSpec;
  paths: TaskPaths;
}

export interface SurveyRecord {
  task: string;
  index: number;
  fragments: string[];
  outcome: Outcome;
  wallSec: number;
}

export interface SurveyOptions {
  sampler: Sampler;
  tasks: SurveyTask[];
  /** Programs per task. */
  n: number;
  seed: number;
  executor: Executor;
  limits?: Partial<ExecLimits>;
  /** Programs executed at once. */
  concurrency: number;
  /** Each execution gets a directory below this one. */
  workDir: string;
  /** Name of the program file executors write (for traceback matching). */
  programFile?: string;
  log?: (record: SurveyRecord) => void;
}

/** Sample `n` programs per task from the current policy, execute and grade them, and classify each outcome. */
export async function surveyPolicy(o: SurveyOptions): Promise<SurveyRecord[]> {
  const jobs: Array<{ task: SurveyTask; index: number; text: string; fragments: string[] }> = [];
  for (const [t, task] of o.tasks.entries()) {
    const samples = await o.sampler.sample(
      Array.from({ length: o.n }, () => ({ task: task.spec, kind: "scratch" as const })),
      { seed: o.seed + t },
    );
    samples.forEach((c, index) => {
      const fragments = [...c.text.matchAll(/^# ---- (\S+)$/gm)].map((m) => m[1] as string);
      jobs.push({ task, index, text: c.text, fragments });
    });
  }
  const records: SurveyRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const outDir = join(o.workDir, `${job.task.spec.id}-${job.index}`);
      mkdirSync(outDir, { recursive: true });
      const res = await o.executor.run({ code: job.text, publicDir: job.task.paths.publicDir, outDir, limits: o.limits ?? {} });
      let outcome: Outcome;
      if (res.timedOut) outcome = { kind: "timeout" };
      else if (res.killed) outcome = { kind: "killed", reason: res.killed };
      else if (res.exitCode !== 0) outcome = { kind: "error", ...failureStage(job.text, res.stderr.text, o.programFile ?? "program.py") };
      else if (!res.submissionPath) outcome = { kind: "no_submission" };
      else {
        const report = await gradeBounded(job.task.spec, job.task.paths, res.submissionPath);
        outcome =
          report.valid_submission && report.score !== null
            ? { kind: "valid", score: report.score }
            : { kind: "invalid_submission", error: (report.error ?? "invalid").slice(0, 200) };
      }
      const record = { task: job.task.spec.id, index: job.index, fragments: job.fragments, outcome, wallSec: res.wallSec };
      records.push(record);
      o.log?.(record);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return records.sort((a, b) => a.task.localeCompare(b.task) || a.index - b.index);
}

/** Outcome label for tables: "valid", "error@features", "timeout", ... */
export function outcomeLabel(o: Outcome): string {
  return o.kind === "error" ? `error@${o.stage}` : o.kind;
}

/** Per task: count of each outcome label, plus mean score and wall time of valid programs. */
export interface SurveySummary {
  counts: Map<string, number>;
  n: number;
  meanValidSec: number;
  scores: number[];
}

export function summarizeSurvey(records: SurveyRecord[]): Map<string, SurveySummary> {
  const out = new Map<string, SurveySummary>();
  for (const r of records) {
    const s: SurveySummary = out.get(r.task) ?? { counts: new Map<string, number>(), n: 0, meanValidSec: 0, scores: [] };
    const label = outcomeLabel(r.outcome);
    s.counts.set(label, (s.counts.get(label) ?? 0) + 1);
    s.n++;
    if (r.outcome.kind === "valid") {
      s.meanValidSec += (r.wallSec - s.meanValidSec) / (s.scores.length + 1);
      s.scores.push(r.outcome.score);
    }
    out.set(r.task, s);
  }
  return out;
}
