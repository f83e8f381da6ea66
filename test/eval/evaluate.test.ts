import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { evalJsonPath, evaluatePolicy, openEvalPolicy } from "../../src/eval/evaluate.js";
import { EvalResult, type EvalAttempt } from "../../src/eval/result.js";
import { samplerSolver, samplingSeed } from "../../src/eval/sampler-solver.js";
import { FragmentPolicy } from "../../src/policy/fragment-policy.js";
import { runConfig } from "../../src/core/config.js";
import { UpdateStats } from "../../src/core/update.js";
import { storeRunConfig } from "../../src/store/run-config.js";
import { RunStore } from "../../src/store/run-store.js";
import { getTask } from "../../src/tasks/registry.js";
import { constantProgram, preparedDataDir, ScriptedSampler, TASK, tempDir } from "./fixtures.js";

const dataDir = await preparedDataDir();

test("the kept solution is the one with the better printed validation metric, even when its hidden test score is worse", async () => {
  // Scratch predicts the training means (good test score) but prints a poor metric; the improvement predicts a
  // far-off constant (poor test score) and prints an excellent one.
  const sampler = new ScriptedSampler((req) => (req.kind === "scratch" ? constantProgram("mean", 0.5) : constantProgram(3.0, 0.01)));
  const out = tempDir("mlerl-eval-out-");
  const result = await evaluatePolicy({
    policy: { kind: "sampler", sampler, method: "scripted" },
    taskIds: [TASK],
    dataDir,
    samples: 2,
    seeds: [0, 1],
    outDir: out,
    concurrency: 2,
    env: { timeoutSec: 30 },
  });

  const onDisk = EvalResult.parse(JSON.parse(readFileSync(evalJsonPath(out), "utf8")));
  assert.deepEqual(onDisk, result);
  assert.equal(result.method, "scripted");
  const [task] = result.tasks;
  assert.ok(task);
  assert.equal(task.attempts.length, 4);
  assert.equal(task.lowerIsBetter, true);

  const details = readFileSync(join(out, "eval", "attempts.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map(
      (l) =>
        JSON.parse(l) as {
          seed: number;
          sample: number;
          selection: string;
          scratch: { testScore: number; validationMetric: number };
          improve: { testScore: number; validationMetric: number };
        },
    );
  assert.equal(details.length, 4);
  for (const d of details) {
    // The precondition of the test, measured by the real grader: scratch really has the better test score.
    assert.ok(
      d.scratch.testScore < d.improve.testScore,
      `scratch ${d.scratch.testScore} should beat improve ${d.improve.testScore} on the test set`,
    );
    assert.equal(d.scratch.validationMetric, 0.5);
    assert.equal(d.improve.validationMetric, 0.01);
    assert.equal(d.selection, "improve");
    const a: EvalAttempt | undefined = task.attempts.find((x) => x.seed === d.seed && x.sample === d.sample);
    assert.ok(a);
    assert.equal(a.selected, "improve");
    assert.equal(a.valid, true);
    assert.equal(a.testScore, d.improve.testScore);
    assert.equal(a.validationMetric, 0.01);
  }
  assert.equal(task.validRate, 1);
  assert.equal(task.mean, details[0]!.improve.testScore);

  // Each improve request continued the scratch completion of its own attempt, with the training loop's feedback.
  const scratch = sampler.requests.filter((r) => r.request.kind === "scratch");
  const improve = sampler.requests.filter((r) => r.request.kind === "improve");
  assert.equal(scratch.length, 4);
  assert.equal(improve.length, 4);
  for (const r of improve) {
    assert.ok(r.request.kind === "improve");
    assert.equal(r.request.previous.stageReached, "valid");
    assert.equal(r.request.previous.failure, "none");
    assert.equal(r.request.previous.validationScore, 0.5);
    assert.equal(r.request.previous.tokens.length, 1);
  }
  // Sampling seeds depend on (task, seed, sample, kind): all eight differ.
  assert.equal(new Set(sampler.requests.map((r) => r.seed)).size, 8);
});

test("evaluating a training run loads its latest checkpoint and writes eval.json into the run dir", async () => {
  const runDir = tempDir("mlerl-eval-run-");
  const config = runConfig({
    tasks: [TASK],
    seed: 3,
    env: { executor: "sandbox", timeoutSec: 20, instrumentation: true },
    policy: { kind: "fragment" },
    optim: { lr: 0.01, loss: "ppo", clip: 0.2 },
    loop: { executors: 1, batchSize: 1, maxStaleness: 0, improveProb: 0.5, durationAware: false, normalizeAdvantages: true },
  });
  const store = RunStore.open(runDir);
  const ckpt = join(runDir, "checkpoints", "v000001");
  const policy = await FragmentPolicy.create({ seed: 3 });
  try {
    storeRunConfig(store, config);
    store.setMeta("method", "rl-no-duration");
    policy.version = 1;
    policy.save(ckpt);
    store.recordUpdate({
      version: 1,
      createdAt: 0,
      stats: UpdateStats.parse({ version: 1, n: 0, meanReward: 0, meanDt: 0, loss: 0, kl: 0 }),
      checkpoint: ckpt,
    });
  } finally {
    policy.dispose();
    store.close();
  }
  const result = await evaluatePolicy({
    policy: { kind: "run", runDir },
    taskIds: [TASK],
    dataDir,
    samples: 1,
    seeds: [0],
    concurrency: 1,
  });
  assert.deepEqual(EvalResult.parse(JSON.parse(readFileSync(join(runDir, "eval.json"), "utf8"))), result);
  assert.equal(result.method, "rl-no-duration");
  assert.deepEqual(result.source, { runDir, checkpoint: ckpt });
  const [task] = result.tasks;
  assert.equal(task?.attempts.length, 1);
  const a = task!.attempts[0]!;
  assert.equal(a.valid, a.testScore !== null);
  assert.ok(a.wallSec > 0);
  assert.deepEqual(task!.thresholds, getTask(TASK, dataDir).thresholds);
});

test("the same checkpoint, seed and sample give the same programs; sampling seeds differ across the grid", async () => {
  const dir = join(tempDir("mlerl-eval-ckpt-"), "ckpt");
  const p = await FragmentPolicy.create({ seed: 11 });
  p.save(dir);
  p.dispose();
  const spec = getTask(TASK, dataDir);
  const programs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const opened = await openEvalPolicy({ kind: "checkpoint", dir });
    try {
      assert.equal(opened.method, "checkpoint");
      const solve = samplerSolver(opened.sampler, spec, (kind) => samplingSeed(TASK, 2, 5, kind));
      programs.push((await solve({ kind: "scratch", prompt: "" })).code ?? "");
    } finally {
      opened.close();
    }
  }
  assert.equal(programs[0], programs[1]);
  assert.match(programs[0]!, /import/);
  const seeds = new Set<number>();
  for (const task of [TASK, "mini-leaf-classification"])
    for (let s = 0; s < 5; s++)
      for (let n = 0; n < 10; n++) for (const k of ["scratch", "improve"] as const) seeds.add(samplingSeed(task, s, n, k));
  assert.equal(seeds.size, 2 * 5 * 10 * 2);
});

test("user mistakes: a dir that is not a run, no output dir for an untrained policy", async () => {
  const notRun = tempDir("mlerl-eval-notrun-");
  await assert.rejects(
    evaluatePolicy({ policy: { kind: "run", runDir: notRun }, taskIds: [TASK], dataDir }),
    (e: unknown) => e instanceof UserError && /no run\.sqlite/.test(e.message),
  );
  await assert.rejects(
    evaluatePolicy({ policy: { kind: "untrained" }, taskIds: [TASK], dataDir }),
    (e: unknown) => e instanceof UserError && /--out/.test(e.hint ?? ""),
  );
  await assert.rejects(evaluatePolicy({ policy: { kind: "untrained" }, taskIds: [], dataDir, outDir: notRun }), UserError);
});
