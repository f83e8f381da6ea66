import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipelinePlan, runPipeline, type PipelineSteps } from "../../src/run/pipeline.js";
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

test("the plan gives each baseline as many executions per task and seed as the evaluation spends", () => {
  const plan = pipelinePlan({ outDir: "/o", tasks: ["a", "b"], trainMinutes: 8, evalSamples: 3, evalSeeds: 2 });
  assert.equal(plan.baselineExecutions, 6, "3 test-time procedures × (scratch + improve)");
  assert.deepEqual(plan.evalSeeds, [0, 1]);
  assert.deepEqual(plan.baselines, ["aide", "random"]);
  assert.equal(plan.dirs.rl, "/o/rl");
});

test("a stopped pipeline continues where it stopped: finished steps are not repeated", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "mlerl-pipeline-"));
  const plan = pipelinePlan({ outDir, tasks: ["simulated"], trainMinutes: 1, evalSamples: 1, evalSeeds: 1 });
  const calls: string[] = [];
  const ac = new AbortController();
  const first = await runPipeline({
    plan,
    dataDir: outDir,
    steps: recordingSteps(calls, { step: "baseline:aide", ac }),
    trainOverrides: sim,
    signal: ac.signal,
  });
  assert.equal(first.stopped, true);
  assert.deepEqual(calls, ["evaluate", "baseline:aide"]);
  const store = RunStore.openReadonly(plan.dirs.rl);
  assert.equal(store.countFinished(), 80);
  store.close();

  const second = await runPipeline({ plan, dataDir: outDir, steps: recordingSteps(calls), trainOverrides: sim });
  assert.equal(second.stopped, false);
  assert.deepEqual(
    calls,
    ["evaluate", "baseline:aide", "baseline:random", "report:3"],
    "training, evaluation and the aide baseline were not run again",
  );
  assert.equal(second.rl?.tasks[0]?.mean, 80, "the evaluation read back is the one written before the stop");
  const again = RunStore.openReadonly(plan.dirs.rl);
  assert.equal(again.countFinished(), 80, "the finished training run was not extended");
  again.close();
});
