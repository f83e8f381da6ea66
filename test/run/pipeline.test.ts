import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipelinePlan, runDirOf, runPipeline, type PipelineSteps } from "../../src/run/pipeline.js";
import { EvalResult } from "../../src/eval/result.js";
import { DEFAULT_SIM_MODEL, type RunConfigInput } from "../../src/core/config.js";
import { RunStore } from "../../src/store/run-store.js";

const sim: RunConfigInput = {
  tasks: ["simulated"],
  budget: { rollouts: 80, minutes: undefined },
  env: { executor: "simulate", simModel: DEFAULT_SIM_MODEL },
  policy: { kind: "bandit" },
  optim: { lr: 0.3 },
  loop: { executors: 16, batchSize: 8 },
};

function evalOf(method: string, runDir: string): EvalResult {
  const store = RunStore.openReadonly(runDir);
  const n = store.countFinished();
  store.close();
  return EvalResult.parse({
    kind: "eval",
    method,
    source: { runDir, checkpoint: null },
    samples: 1,
    seeds: [0],
    createdAt: new Date(0).toISOString(),
    tasks: [
      {
        taskId: "simulated",
        metric: "reward",
        lowerIsBetter: false,
        thresholds: null,
        attempts: [],
        mean: n,
        std: 0,
        validRate: 1,
        medalRates: { gold: 0, silver: 0, bronze: 0, any: 0 },
        bestOfN: { mean: n, std: 0 },
      },
    ],
  });
}

function recordingSteps(calls: string[], abortAfter?: { step: string; ac: AbortController }): PipelineSteps {
  const done = (step: string) => {
    calls.push(step);
    if (abortAfter?.step === step) abortAfter.ac.abort();
  };
  return {
    async evaluate(runDir) {
      const ev = evalOf("rl", runDir);
      writeFileSync(join(runDir, "eval.json"), JSON.stringify(ev));
      done("evaluate");
      return ev;
    },
    async baseline(method, runDir) {
      mkdirSync(runDir, { recursive: true });
      const store = RunStore.open(runDir);
      store.setMeta("method", method);
      store.close();
      const ev = evalOf(method, runDir);
      writeFileSync(join(runDir, "eval.json"), JSON.stringify(ev));
      done(`baseline:${method}`);
      return ev;
    },
    async report(dirs, out) {
      done(`report:${dirs.length}`);
      return { files: [join(out, "report.md")] };
    },
  };
}

test("the plan runs every method on every seed, in its own run dir", () => {
  const plan = pipelinePlan({ outDir: "/o", tasks: ["a", "b"], trainMinutes: 2, evalSamples: 1, seeds: 2, executors: 2 });
  assert.deepEqual(plan.seeds, [0, 1]);
  assert.deepEqual(plan.baselines, ["aide", "random"]);
  assert.equal(runDirOf(plan, "rl", 1), "/o/rl/seed-1");
  assert.equal(runDirOf(plan, "aide", 0), "/o/aide/seed-0");
});

test("each baseline gets the minutes RL used on its seed (training plus the test-time procedure); a stopped pipeline continues", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "mlerl-pipeline-"));
  const plan = pipelinePlan({ outDir, tasks: ["simulated"], trainMinutes: 1, evalSamples: 1, seeds: 2, executors: 16 });
  const calls: string[] = [];
  const budgets: number[] = [];
  const ac = new AbortController();
  const steps = (abortAt?: string): PipelineSteps => {
    const inner = recordingSteps(calls, abortAt ? { step: abortAt, ac } : undefined);
    return {
      ...inner,
      async evaluate(runDir, seed, offset, signal) {
        // The test-time procedure's time is stored beside the run, as `mlerl eval` stores it.
        const evalStore = RunStore.open(join(runDir, "eval"));
        evalStore.setMeta("elapsed_sec", "30");
        evalStore.close();
        assert.ok(offset > 0, "the evaluation starts where training stopped on the run's clock");
        return inner.evaluate(runDir, seed, offset, signal);
      },
      async baseline(method, runDir, seed, minutes, signal) {
        budgets.push(minutes);
        return inner.baseline(method, runDir, seed, minutes, signal);
      },
    };
  };
  const first = await runPipeline({ plan, dataDir: outDir, steps: steps("baseline:aide"), trainOverrides: sim, signal: ac.signal });
  assert.equal(first.stopped, true);
  assert.deepEqual(calls, ["evaluate", "baseline:aide"]);
  const store = RunStore.openReadonly(runDirOf(plan, "rl", 0));
  const trainSec = Number(store.getMeta("elapsed_sec"));
  assert.equal(store.countFinished(), 80);
  store.close();
  assert.ok(Math.abs(budgets[0]! - (trainSec + 30) / 60) < 1e-9, `aide got ${budgets[0]} min, RL used ${(trainSec + 30) / 60}`);

  const second = await runPipeline({ plan, dataDir: outDir, steps: steps(), trainOverrides: sim });
  assert.equal(second.stopped, false);
  assert.deepEqual(
    calls,
    ["evaluate", "baseline:aide", "baseline:random", "evaluate", "baseline:aide", "baseline:random", "report:6"],
    "seed 0's training, evaluation and aide search were not run again",
  );
  assert.equal(second.budgets.length, 2);
  const again = RunStore.openReadonly(runDirOf(plan, "rl", 0));
  assert.equal(again.countFinished(), 80, "the finished training run was not extended");
  again.close();
});
