/**
 * Calibrate the medal thresholds of the built-in tasks: prepare each task, run its reference solutions
 * (tasks/reference/<task>/{baseline,medium,strong}.py) in the sandbox exactly as an agent program runs, grade the
 * submissions with the task's grader, and record scores, run times and the derived thresholds in
 * src/tasks/builtin/calibration.json (committed; the built-in specs read their thresholds from it).
 *
 * Usage: node --import tsx scripts/calibrate-thresholds.ts [TASK_ID ...] [--data-dir DIR] [--timeout S] [--no-isolation]
 * The rule that turns the three scores into thresholds is THRESHOLD_RULE in src/tasks/builtin/calibration.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gradeSubmission } from "../src/grading/index.js";
import { repoRoot } from "../src/paths.js";
import { createExecutor } from "../src/sandbox/index.js";
import { BUILTIN_SEED, findBuiltin } from "../src/tasks/builtin/index.js";
import {
  CalibrationFile,
  THRESHOLD_RULE,
  thresholdsFromReferences,
  type CalibrationRun,
  type TaskCalibration,
} from "../src/tasks/builtin/calibration.js";
import { BUILTIN_TASK_IDS, prepareTasks, requirePrepared } from "../src/tasks/registry.js";

const SOLUTIONS = ["baseline", "medium", "strong"] as const;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "data-dir": { type: "string" },
    timeout: { type: "string", default: "300" },
    "no-isolation": { type: "boolean", default: false },
  },
});
const ids = positionals.length > 0 ? positionals : [...BUILTIN_TASK_IDS];
const dataDir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "mlerl-calibrate-"));
const timeoutSec = Number(values.timeout);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The hold-out metric a reference solution prints ("validation <metric>: <number>"). */
function validationMetric(stdout: string): number | null {
  const m = /validation[^:\n]*:\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)/i.exec(stdout);
  return m ? Number(m[1]) : null;
}

async function main(): Promise<void> {
  const executor = createExecutor({ isolation: !values["no-isolation"], warn: log });
  log(`executor: ${executor.describe()}`);
  await prepareTasks(ids, dataDir, log);
  const calPath = join(repoRoot(), "src", "tasks", "builtin", "calibration.json");
  const file = CalibrationFile.parse(JSON.parse(readFileSync(calPath, "utf8")));
  const problems: string[] = [];
  for (const id of ids) {
    const task = findBuiltin(id);
    if (!task) throw new Error(`${id} is not a built-in task`);
    const { spec, paths } = requirePrepared(id, dataDir);
    const runs: CalibrationRun[] = [];
    for (const solution of SOLUTIONS) {
      const codePath = join(repoRoot(), "tasks", "reference", id, `${solution}.py`);
      const outDir = mkdtempSync(join(tmpdir(), `mlerl-cal-${solution}-`));
      const res = await executor.run({
        code: readFileSync(codePath, "utf8"),
        publicDir: paths.publicDir,
        outDir,
        limits: { timeoutSec, threads: 1 },
      });
      const report = res.submissionPath ? gradeSubmission(spec, paths, res.submissionPath) : null;
      const score = report?.score ?? null;
      const validation = validationMetric(res.stdout.text);
      runs.push({ solution, score, seconds: Math.round(res.wallSec * 100) / 100, validation });
      log(`${id} ${solution}: score ${score ?? "none"} (validation ${validation ?? "?"}) in ${res.wallSec.toFixed(1)} s — ${res.summary}`);
      if (score === null) {
        problems.push(`${id}/${solution}: no valid score (${report?.error ?? res.summary}); stderr tail: ${res.stderr.text.slice(-600)}`);
      }
      rmSync(outDir, { recursive: true, force: true });
    }
    const [baseline, medium, strong] = runs.map((r) => r.score);
    if (baseline == null || medium == null || strong == null) continue;
    const better = (a: number, b: number) => (spec.lowerIsBetter ? a < b : a > b);
    if (!better(strong, medium) || !better(medium, baseline)) {
      problems.push(`${id}: reference scores are not ordered baseline < medium < strong (${baseline}, ${medium}, ${strong})`);
    }
    const entry: TaskCalibration = {
      version: task.version,
      seed: BUILTIN_SEED,
      runs,
      thresholds: thresholdsFromReferences({ baseline, medium, strong }),
    };
    file.tasks[id] = entry;
  }
  const out: CalibrationFile = { ...file, rule: THRESHOLD_RULE, calibratedAt: new Date().toISOString(), executor: executor.describe() };
  writeFileSync(calPath, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${calPath}`);
  if (values["data-dir"] === undefined) rmSync(dataDir, { recursive: true, force: true });
  if (problems.length > 0) {
    log(`\nproblems:\n${problems.map((p) => `- ${p}`).join("\n")}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
