import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gradeSubmission, type GradeReport } from "../grading/index.js";
import type { TaskPaths, TaskSpec } from "../tasks/spec.js";
import type { ExecLimits, ExecResult, Executor } from "./executor.js";

export interface TaskRun {
  execution: ExecResult;
  grade: GradeReport;
  outDir: string;
}

/**
 * Runs one program on a prepared task and grades what it wrote. The program sees only the public dir; the
 * grader reads the private answers here, outside the sandbox, from the copied submission.
 */
export async function executeAndGrade(opts: {
  executor: Executor;
  spec: TaskSpec;
  paths: TaskPaths;
  code: string;
  outDir: string;
  limits?: Partial<ExecLimits>;
  signal?: AbortSignal;
}): Promise<TaskRun> {
  const execution = await opts.executor.run({ code: opts.code, publicDir: opts.paths.publicDir, outDir: opts.outDir, limits: opts.limits, signal: opts.signal });
  const grade = gradeSubmission(opts.spec, opts.paths, execution.submissionPath ?? join(opts.outDir, "submission.csv"));
  writeFileSync(join(opts.outDir, "grade.json"), `${JSON.stringify(grade, null, 2)}\n`);
  return { execution, grade, outDir: opts.outDir };
}
