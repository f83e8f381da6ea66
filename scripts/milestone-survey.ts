/**
 * Runs the reference solutions and a sample of built-in-policy programs through the whole rollout path (AST
 * instrumenter, launcher, bubblewrap sandbox, grader, reward) and prints one JSON line per program: the milestones
 * its genuine markers reached, its validation metric, reward and tampering verdict. Run it before and after a change
 * to the instrumentation and compare the two files (`--compare A B`): honest programs must earn the same milestones.
 *
 *   node --import tsx scripts/milestone-survey.ts [--n N] [--masked M] [--seed S] [--timeout SEC] [--concurrency K]
 *        [--data-dir DIR] [--skip-references] [--only ID,ID...] > after.jsonl
 *   node --import tsx scripts/milestone-survey.ts --compare before.jsonl after.jsonl
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { AstInstrumenter } from "../src/instrument/index.js";
import { FragmentPolicy, FragmentSampler } from "../src/policy/fragment-policy.js";
import { repoRoot } from "../src/paths.js";
import { runRollout } from "../src/rollout/run-rollout.js";
import { BwrapExecutor } from "../src/sandbox/index.js";
import { BUILTIN_TASK_IDS, prepareTasks, requirePrepared } from "../src/tasks/registry.js";

const Row = z.object({
  id: z.string(),
  milestones: z.array(z.string()),
  kinds: z.array(z.string()),
  validationMetric: z.number().nullable(),
  reward: z.number(),
  failureKind: z.string(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  tampering: z.array(z.string()).nullable(),
});
type Row = z.infer<typeof Row>;

function readRows(path: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const r = Row.parse(JSON.parse(line));
    rows.set(r.id, r);
  }
  return rows;
}

function compare(beforePath: string, afterPath: string): void {
  const before = readRows(beforePath);
  const after = readRows(afterPath);
  let same = 0;
  const differ: string[] = [];
  const timing: string[] = [];
  const total = { before: 0, after: 0 };
  for (const [id, b] of before) {
    const a = after.get(id);
    if (!a) {
      differ.push(`${id}: missing after`);
      continue;
    }
    total.before += b.milestones.length;
    total.after += a.milestones.length;
    if (b.milestones.join() === a.milestones.join() && (a.tampering ?? []).length === 0) same++;
    else {
      const line = `${id}: before [${b.milestones.join(", ")}] after [${a.milestones.join(", ")}] tampering ${JSON.stringify(a.tampering)}`;
      // A program cut off by its deadline reaches more or less depending on the machine's load.
      if (b.timedOut || a.timedOut)
        timing.push(
          `${line} (timed out ${b.timedOut ? "before" : ""}${b.timedOut && a.timedOut ? " and " : ""}${a.timedOut ? "after" : ""})`,
        );
      else differ.push(line);
    }
  }
  const flagged = [...after.values()].filter((r) => (r.tampering ?? []).length > 0).length;
  process.stdout.write(
    `${before.size} programs: ${same} earn the same milestones, unflagged; ${differ.length} differ; ${timing.length} differ only where a run hit its deadline; ` +
      `${flagged} flagged as tampering after; milestones in total ${total.before} before, ${total.after} after\n`,
  );
  for (const d of [...differ, ...timing]) process.stdout.write(`  ${d}\n`);
}

async function survey(values: Record<string, string | boolean | undefined>): Promise<void> {
  const int = (name: string, fallback: number) => {
    const v = values[name];
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${String(v)}`);
    return n;
  };
  const n = int("n", 20);
  const masked = int("masked", 15);
  const seed = int("seed", 1);
  const timeoutSec = int("timeout", 60);
  const concurrency = Math.max(1, int("concurrency", 2));
  const dataDir = typeof values["data-dir"] === "string" ? values["data-dir"] : mkdtempSync(join(tmpdir(), "mlerl-msurvey-data-"));
  await prepareTasks([...BUILTIN_TASK_IDS], dataDir, (l) => process.stderr.write(`${l}\n`));
  const tasks = BUILTIN_TASK_IDS.map((id) => ({ id, ...requirePrepared(id, dataDir) }));

  const jobs: Array<{ id: string; taskId: string; code: string }> = [];
  if (!values["skip-references"]) {
    for (const t of tasks) {
      const dir = join(repoRoot(), "tasks", "reference", t.id);
      for (const f of readdirSync(dir)
        .filter((x) => x.endsWith(".py"))
        .sort())
        jobs.push({ id: `reference/${t.id}/${f}`, taskId: t.id, code: readFileSync(join(dir, f), "utf8") });
    }
  }
  for (const [mode, count] of [
    ["free", n],
    ["masked", masked],
  ] as const) {
    if (count === 0) continue;
    const policy = await FragmentPolicy.create({ seed: 0, ...(mode === "masked" ? { priorMode: "mask" as const } : {}) });
    const sampler = new FragmentSampler(policy);
    for (const [i, t] of tasks.entries()) {
      const samples = await sampler.sample(
        Array.from({ length: count }, () => ({ task: t.spec, kind: "scratch" as const })),
        { seed: seed + i },
      );
      samples.forEach((c, k) => jobs.push({ id: `policy-${mode}/${t.id}/${k}`, taskId: t.id, code: c.text }));
    }
    policy.dispose();
  }

  // --only: rerun a subset (e.g. the programs that hit their deadline) with the same sampling.
  const only = typeof values.only === "string" ? new Set(values.only.split(",")) : null;
  if (only) jobs.splice(0, jobs.length, ...jobs.filter((j) => only.has(j.id)));
  const work = mkdtempSync(join(tmpdir(), "mlerl-msurvey-runs-"));
  const executor = new BwrapExecutor();
  const instrumenter = new AstInstrumenter();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const t = byId.get(job.taskId)!;
      const outDir = join(work, job.id.replaceAll("/", "_"));
      mkdirSync(outDir, { recursive: true });
      const run = await runRollout({
        executor,
        instrumenter,
        spec: t.spec,
        paths: t.paths,
        code: job.code,
        outDir,
        limits: { timeoutSec },
      });
      const { reward, instrumentation } = run.record;
      const row: Row = {
        id: job.id,
        milestones: reward.milestonesReached,
        kinds: instrumentation.credited.map((h) => h.kind),
        validationMetric: reward.validationMetric,
        reward: reward.reward,
        failureKind: reward.failureKind,
        exitCode: run.execution.exitCode,
        timedOut: run.execution.timedOut,
        tampering: instrumentation.tampering,
      };
      process.stdout.write(`${JSON.stringify(row)}\n`);
      process.stderr.write(`[${++done}/${jobs.length}] ${job.id}: ${row.failureKind} [${row.milestones.join(", ")}]\n`);
      rmSync(outDir, { recursive: true, force: true });
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await instrumenter.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: "string" },
    masked: { type: "string" },
    seed: { type: "string" },
    timeout: { type: "string" },
    concurrency: { type: "string" },
    "data-dir": { type: "string" },
    "skip-references": { type: "boolean" },
    only: { type: "string" },
    compare: { type: "boolean" },
  },
});
if (values.compare) {
  if (positionals.length !== 2) throw new Error("--compare needs two files: before.jsonl after.jsonl");
  compare(positionals[0]!, positionals[1]!);
} else await survey(values);
