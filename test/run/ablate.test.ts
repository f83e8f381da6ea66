import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ablationPlan, runAblation, runState, type AblationPlanItem } from "../../src/run/ablate.js";
import { DEFAULT_SIM_MODEL, METHOD_VARIANTS, methodOf, type MethodVariant, type RunConfigInput } from "../../src/core/config.js";
import { RunStore } from "../../src/store/run-store.js";
import { EvalResult } from "../../src/eval/result.js";

const variants = Object.keys(METHOD_VARIANTS) as MethodVariant[];
const simBase: RunConfigInput = {
  env: { executor: "simulate", simModel: DEFAULT_SIM_MODEL },
  policy: { kind: "bandit" },
  optim: { lr: 0.3 },
  loop: { executors: 16, batchSize: 8 },
};

test("the plan has every variant × seed, each with exactly its own idea switched off and the same budget", () => {
  const plan = ablationPlan({ outDir: "/x", tasks: ["simulated"], seeds: 3, variants, budget: { rollouts: 50 }, base: simBase });
  assert.equal(plan.length, 12);
  assert.deepEqual(new Set(plan.map((p) => `${p.variant}/${p.seed}`)).size, 12);
  for (const p of plan) {
    assert.equal(methodOf(p.config), p.variant, "the stored method label names the variant");
    assert.equal(p.config.budget.rollouts, 50);
    assert.equal(p.config.budget.minutes, undefined, "a rollout budget has no time limit besides");
    assert.equal(p.config.seed, p.seed);
    assert.equal(p.runDir, join("/x", p.variant, `seed-${p.seed}`));
  }
  assert.deepEqual(
    plan.slice(0, 4).map((p) => p.seed),
    [0, 0, 0, 0],
    "seeds are interleaved, so a study cut short stays balanced",
  );
});

function fakeEval(item: AblationPlanItem, store: RunStore): EvalResult {
  // An evaluation summary derived from the run's own rollouts, so the study can be checked end to end.
  const rewards = store.rollouts().map((r) => r.record?.reward.reward ?? 0);
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  return EvalResult.parse({
    kind: "eval",
    method: item.variant,
    source: { runDir: item.runDir, checkpoint: null },
    samples: 1,
    seeds: [item.seed],
    createdAt: new Date(0).toISOString(),
    tasks: [
      {
        taskId: "simulated",
        metric: "reward",
        lowerIsBetter: false,
        thresholds: null,
        attempts: [],
        mean,
        std: 0,
        validRate: 1,
        medalRates: { gold: 0, silver: 0, bronze: 0, any: 0 },
        bestOfN: { mean, std: 0 },
      },
    ],
  });
}

test("an interrupted study resumes: finished runs are not trained again, the cut run continues to its budget", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "mlerl-ablate-"));
  const plan = ablationPlan({
    outDir,
    tasks: ["simulated"],
    seeds: 1,
    variants: ["rl", "rl-no-duration"],
    budget: { rollouts: 120 },
    base: simBase,
  });
  const evaluated: string[] = [];
  const evaluate = async (item: AblationPlanItem) => {
    evaluated.push(item.variant);
    const store = RunStore.openReadonly(item.runDir);
    try {
      return fakeEval(item, store);
    } finally {
      store.close();
    }
  };
  // Abort as soon as the second run has started training.
  const ac = new AbortController();
  const first = await runAblation({
    plan,
    dataDir: outDir,
    evaluate,
    signal: ac.signal,
    log: (l) => {
      if (l.includes("[2/2]") && l.includes("training")) setTimeout(() => ac.abort(), 0);
    },
  });
  assert.equal(runState(plan[0]!.runDir), "done");
  assert.ok(first.length >= 1);
  const s0 = RunStore.openReadonly(plan[0]!.runDir);
  const doneBefore = s0.countFinished();
  assert.equal(s0.getMeta("method"), "rl");
  s0.close();
  assert.equal(doneBefore, 120);

  const second = await runAblation({ plan, dataDir: outDir, evaluate });
  assert.equal(second.length, 2);
  const s0b = RunStore.openReadonly(plan[0]!.runDir);
  assert.equal(s0b.countFinished(), doneBefore, "the finished run was not trained again");
  s0b.close();
  const s1 = RunStore.openReadonly(plan[1]!.runDir);
  assert.equal(s1.countFinished(), 120, "the interrupted run reached its budget after resuming, no rollout lost or doubled");
  assert.equal(s1.getMeta("method"), "rl-no-duration");
  s1.close();
  assert.equal(evaluated.filter((v) => v === "rl").length, 1, "a run whose eval.json was written is not evaluated again");
  for (const r of second) assert.ok(r.eval);

  // The effect signals, recounted here from the stores by hand.
  const { ablationTable } = await import("../../src/run/ablation-table.js");
  const table = ablationTable(second);
  const store = RunStore.openReadonly(plan[0]!.runDir);
  const rows = store.rollouts().filter((r) => r.record);
  store.close();
  const improve = rows.filter((r) => r.kind === "improve" && r.parentId !== null);
  assert.ok(improve.length > 10, `${improve.length} improve rollouts`);
  const signal = table.effects["rl"]!.improveBeatsParent!;
  const parentReward = (r: (typeof rows)[number]) => rows.find((p) => p.id === r.parentId)!.record!.reward.reward;
  const paired = improve.filter((r) =>
    rows.some(
      (s) => s.kind === "scratch" && s.taskId === r.taskId && (s.startedAt > r.startedAt || (s.startedAt === r.startedAt && s.id > r.id)),
    ),
  );
  assert.equal(signal.pairs, paired.length);
  const wins = paired.filter((r) => r.record!.reward.reward > parentReward(r)).length;
  assert.ok(Math.abs(signal.improve.mean! - wins / paired.length) < 1e-12);
  assert.ok(signal.scratch.mean! >= 0 && signal.scratch.mean! <= 1);
  assert.equal(table.effects["rl"]!.earlyValid.n, 1);
  assert.ok(table.effects["rl-no-duration"]!.dtDrift.mean! > 0);
  assert.match(table.markdown, /improve beats its parent/);
});

test("the ablation table averages each seed's mean over seeds, per task and variant", async () => {
  const { tableOf } = await import("../../src/run/ablation-table.js");
  const ev = (variant: string, seed: number, mean: number | null, validRate: number) =>
    EvalResult.parse({
      kind: "eval",
      method: variant,
      source: { runDir: null, checkpoint: null },
      samples: 1,
      seeds: [seed],
      createdAt: new Date(0).toISOString(),
      tasks: [
        {
          taskId: "t",
          metric: "auc",
          lowerIsBetter: false,
          thresholds: null,
          attempts: [],
          mean,
          std: 0,
          validRate,
          medalRates: { gold: 0, silver: 0, bronze: 0, any: 0 },
          bestOfN: { mean, std: 0 },
        },
      ],
    });
  const t = tableOf([
    { variant: "rl", eval: ev("rl", 0, 0.8, 1) },
    { variant: "rl", eval: ev("rl", 1, 0.9, 0.5) },
    { variant: "rl-no-duration", eval: ev("rl-no-duration", 0, null, 0) },
  ]);
  const rl = t.cells["t"]!["rl"]!;
  assert.ok(Math.abs(rl.mean! - 0.85) < 1e-12);
  // Standard error of the mean: the sample std (n − 1) of {0.8, 0.9}, sqrt((0.05² + 0.05²) / 1), over √2.
  assert.ok(Math.abs(rl.sem! - Math.sqrt(2 * 0.05 ** 2) / Math.SQRT2) < 1e-12, `sem ${rl.sem}`);
  assert.deepEqual(rl.perSeed, [0.8, 0.9]);
  assert.equal(rl.validRate, 0.75);
  assert.equal(t.cells["t"]!["rl-no-duration"]!.mean, null, "a variant with no valid selection shows no score rather than a zero");
  assert.match(t.markdown, /\| t \| 0\.8500 ± 0\.0500 \(valid 75%\)/);
  assert.deepEqual(t.direction["t"]!["rl-no-duration"], { holds: true, margin: null }, "a valid pick is ahead of none");
  assert.match(t.markdown, /\*\*1 of 1\*\*/);
  const lower = (variant: string, mean: number) => {
    const e = ev(variant, 0, mean, 1);
    return { ...e, tasks: e.tasks.map((x) => ({ ...x, lowerIsBetter: true })) };
  };
  const loss = tableOf([
    { variant: "rl", eval: lower("rl", 0.3) },
    { variant: "rl-no-improve", eval: lower("rl-no-improve", 0.5) },
    { variant: "rl-no-duration", eval: lower("rl-no-duration", 0.2) },
  ]);
  assert.ok(loss.direction["t"]!["rl-no-improve"]!.holds, "lower loss is ahead");
  assert.ok(Math.abs(loss.direction["t"]!["rl-no-improve"]!.margin! - 0.2) < 1e-12);
  assert.equal(loss.direction["t"]!["rl-no-duration"]!.holds, false);
});
