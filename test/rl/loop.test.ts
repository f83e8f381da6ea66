import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { runLoop, type LoopConfig } from "../../src/rl/loop.js";
import { VirtualClock } from "../../src/core/clock.js";
import { LoopSettings, type SimulationModel } from "../../src/core/config.js";
import { BanditPolicy } from "../../src/policy/bandit.js";
import { SimulatedRunner } from "../../src/rollout/simulated.js";
import { RunStore } from "../../src/store/run-store.js";
import { repoRoot } from "../../src/paths.js";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** A loop config on one task: the loop settings given, every other setting at its default. */
function loopConfig(o: {
  executors: number;
  samplers?: number;
  batchSize: number;
  maxStaleness: number;
  durationAware: boolean;
  maxRollouts: number;
  seed: number;
}): LoopConfig {
  const { executors, samplers = 1, maxRollouts, seed, ...settings } = o;
  return {
    taskIds: ["t"],
    loop: { ...LoopSettings.parse({ ...settings, improveProb: 0, keepCheckpoints: 1 }), executors, samplers },
    maxRollouts,
    seed,
    writePrograms: false,
  };
}

function model(): SimulationModel {
  const actions: SimulationModel["actions"] = {
    fast: { medianSec: 1, sigma: 0.3, reward: 0.5, rewardStd: 0.05, failProb: 0 },
    slow: { medianSec: 15, sigma: 0.3, reward: 0.9, rewardStd: 0.05, failProb: 0 },
  };
  for (let i = 0; i < 4; i++) actions[`fail${i}`] = { medianSec: 0.5, sigma: 0.3, reward: -10, rewardStd: 0, failProb: 1 };
  return { failReward: -10, actions };
}

async function simulate(opts: {
  durationAware: boolean;
  seed: number;
  rollouts: number;
  executors: number;
  batch: number;
  staleness: number;
}) {
  const m = model();
  const clock = new VirtualClock();
  const store = RunStore.open(tmp("mlerl-loop-"));
  const policy = new BanditPolicy(Object.keys(m.actions), { lr: 0.3, clip: 0.2, seed: opts.seed });
  const starts: number[] = [];
  const slowShare: number[] = [];
  const summary = await clock.drive(
    runLoop(
      { policy, runner: new SimulatedRunner(m, clock, opts.seed), store, clock },
      loopConfig({
        executors: opts.executors,
        batchSize: opts.batch,
        maxStaleness: opts.staleness,
        durationAware: opts.durationAware,
        maxRollouts: opts.rollouts,
        seed: opts.seed,
      }),
      undefined,
      {
        onStart: (s) => starts.push(s.finishedUntrained + s.inFlight + 1),
        onUpdate: () => slowShare.push(policy.probs()[1]!),
      },
    ),
  );
  return { summary, store, starts, slowShare };
}

test("pacing never lets finished-but-untrained + in-flight exceed (S+1)·B", async () => {
  for (const [executors, batch, staleness] of [
    [8, 4, 0],
    [16, 8, 1],
    [40, 8, 2],
  ] as const) {
    const { starts, summary } = await simulate({ durationAware: true, seed: 3, rollouts: 400, executors, batch, staleness });
    const bound = (staleness + 1) * batch;
    assert.ok(starts.length === 400);
    assert.ok(Math.max(...starts) <= bound, `load ${Math.max(...starts)} > bound ${bound}`);
    assert.ok(summary.maxPacingLoad <= bound);
  }
});

test("every update's duration weights average to 1, versions rise by one, each rollout is trained once", async () => {
  const { store, summary } = await simulate({ durationAware: true, seed: 5, rollouts: 320, executors: 16, batch: 16, staleness: 1 });
  const updates = store.updates();
  assert.equal(updates.length, summary.updates);
  assert.ok(updates.length >= 15);
  const seen = new Set<number>();
  updates.forEach((u, i) => {
    const s = u.stats;
    assert.equal(u.version, i + 1);
    const mean = s.weights.reduce((a, b) => a + b, 0) / s.weights.length;
    assert.ok(Math.abs(mean - 1) < 1e-12, `weights mean ${mean}`);
    assert.ok(
      s.weights.some((w) => Math.abs(w - 1) > 0.1),
      "durations differ, so weights must too",
    );
    // Pacing bounds the outstanding work; a straggler overtaken by faster programs may still lag more versions.
    assert.ok(s.stalenessMean <= 2, `mean staleness ${s.stalenessMean}`);
    for (const id of s.rolloutIds) {
      assert.ok(!seen.has(id), `rollout ${id} trained twice`);
      seen.add(id);
    }
  });
  const trained = store.rollouts("trained");
  assert.equal(trained.length, seen.size);
});

test("without duration weighting the async loop favours fast actions early; with it the slow, better action wins sooner", async () => {
  let withW = 0;
  let withoutW = 0;
  for (const seed of [1, 2, 3]) {
    const a = await simulate({ durationAware: true, seed, rollouts: 480, executors: 8, batch: 16, staleness: 1 });
    const b = await simulate({ durationAware: false, seed, rollouts: 480, executors: 8, batch: 16, staleness: 1 });
    withW += a.slowShare[a.slowShare.length - 1]!;
    withoutW += b.slowShare[b.slowShare.length - 1]!;
  }
  assert.ok(withW > withoutW + 0.3, `slow-action probability: with weighting ${withW / 3}, without ${withoutW / 3}`);
});

test("a run killed with SIGKILL resumes with no rollout lost or counted twice", async () => {
  const runDir = tmp("mlerl-kill-");
  const script = join(repoRoot(), "test", "rl", "fixtures", "bandit-run.ts");
  const tsx = `file://${join(repoRoot(), "node_modules", "tsx", "dist", "esm", "index.mjs")}`;
  const total = 120;
  for (let attempt = 0; attempt < 3; attempt++) {
    // Kill each session after it has finished a few rollouts.
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, ["--import", tsx, script, runDir, String(total)], { stdio: ["ignore", "pipe", "inherit"] });
      let seen = 0;
      child.stdout.on("data", (d: Buffer) => {
        seen += (d.toString().match(/^rollout /gm) ?? []).length;
        if (seen >= 25) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
    });
  }
  const mid = RunStore.open(runDir);
  assert.ok(mid.countFinished() < total, "the kills must interrupt the run before it completes");
  mid.close();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", tsx, script, runDir, String(total)], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (d: Buffer) => (text += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}`))));
  });
  const store = RunStore.open(runDir);
  const rows = store.rollouts();
  assert.equal(rows.length, total, "exactly the requested rollouts were started, across all sessions");
  assert.equal(rows.filter((r) => r.status === "running").length, 0);
  assert.equal(store.countFinished(), total);
  const trainedIds = store.updates().flatMap((u) => u.stats.rolloutIds);
  assert.equal(new Set(trainedIds).size, trainedIds.length, "no rollout trained twice");
  assert.equal(trainedIds.length, rows.filter((r) => r.status === "trained").length);
  const versions = store.updates().map((u) => u.version);
  versions.forEach((v, i) => assert.equal(v, i + 1));
  assert.match(out, /"rollouts":120/);
  store.close();
});

test("a sampler that fails mid-run stops the loop with its error, and the run resumes with nothing lost or doubled", async () => {
  const m = model();
  const clock = new VirtualClock();
  const dir = tmp("mlerl-loop-samplefail-");
  const store = RunStore.open(dir);
  const bandit = new BanditPolicy(Object.keys(m.actions), { lr: 0.3, clip: 0.2, seed: 2 });
  let calls = 0;
  const failing = {
    version: () => bandit.version(),
    sample: async (ctx: Parameters<typeof bandit.sample>[0]) => {
      if (++calls === 60) throw new Error("sampling server went away");
      return bandit.sample(ctx);
    },
    update: (b: Parameters<typeof bandit.update>[0]) => bandit.update(b),
    save: (d: string) => bandit.save(d),
  };
  const cfg = loopConfig({ executors: 8, batchSize: 8, maxStaleness: 1, durationAware: true, maxRollouts: 120, seed: 2 });
  await assert.rejects(
    clock.drive(runLoop({ policy: failing, runner: new SimulatedRunner(m, clock, 2), store, clock }, cfg)),
    /sampling server went away/,
  );
  const before = store.rollouts();
  assert.equal(before.length, 59, "every sampled action was recorded before the failure");
  const clock2 = new VirtualClock();
  const resumed = await clock2.drive(runLoop({ policy: bandit, runner: new SimulatedRunner(m, clock2, 3), store, clock: clock2 }, cfg));
  const after = store.rollouts();
  assert.equal(after.length, 120);
  assert.ok(after.every((r) => r.status !== "running"));
  assert.equal(new Set(after.map((r) => r.id)).size, 120);
  assert.equal(resumed.rollouts, 120, "the resumed session counts the earlier finished rollouts once");
  for (const r of before.filter((x) => x.status !== "running")) {
    const same = after.find((x) => x.id === r.id)!;
    assert.equal(same.record!.reward.reward, r.record!.reward.reward, "a rollout finished before the failure was not run again");
  }
  store.close();
});

test("concurrent samplers keep executors busy while programs are generated, within the pacing bound", async () => {
  const m = model();
  const run = async (samplers: number) => {
    const clock = new VirtualClock();
    const store = RunStore.open(tmp("mlerl-loop-samplers-"));
    const bandit = new BanditPolicy(Object.keys(m.actions), { lr: 0.3, clip: 0.2, seed: 4 });
    let generating = 0;
    let maxGenerating = 0;
    // Generation takes 6 s of virtual time, as a real LM's does: comparable to the executions themselves.
    const slowLm = {
      version: () => bandit.version(),
      sample: async (ctx: Parameters<typeof bandit.sample>[0]) => {
        generating += 1;
        maxGenerating = Math.max(maxGenerating, generating);
        await clock.sleep(6);
        generating -= 1;
        return bandit.sample(ctx);
      },
      update: (b: Parameters<typeof bandit.update>[0]) => bandit.update(b),
      save: (d: string) => bandit.save(d),
    };
    const loads: number[] = [];
    const cfg = loopConfig({ executors: 8, samplers, batchSize: 8, maxStaleness: 1, durationAware: true, maxRollouts: 200, seed: 4 });
    const summary = await clock.drive(
      runLoop({ policy: slowLm, runner: new SimulatedRunner(m, clock, 4), store, clock }, cfg, undefined, {
        onStart: (s) => loads.push(s.finishedUntrained + s.inFlight + 1),
      }),
    );
    const rows = store.rollouts();
    store.close();
    return { summary, rows, maxGenerating, loads };
  };
  const one = await run(1);
  const eight = await run(8);
  assert.equal(one.maxGenerating, 1);
  assert.equal(eight.maxGenerating, 8, "eight requests were in progress at once");
  for (const r of [one, eight]) {
    assert.equal(r.rows.length, 200, "exactly the requested rollouts were started");
    assert.equal(new Set(r.rows.map((x) => x.id)).size, 200);
    assert.ok(r.rows.every((x) => x.status !== "running"));
    assert.ok(Math.max(...r.loads) <= 16, `pacing load ${Math.max(...r.loads)} > (S+1)·B = 16`);
    assert.ok(r.summary.maxPacingLoad <= 16);
  }
  assert.ok(
    eight.summary.utilisation > 2 * one.summary.utilisation,
    `utilisation: 8 samplers ${eight.summary.utilisation.toFixed(3)}, 1 sampler ${one.summary.utilisation.toFixed(3)}`,
  );
  assert.ok(
    eight.summary.elapsedSec < one.summary.elapsedSec / 2,
    `elapsed: 8 samplers ${eight.summary.elapsedSec.toFixed(0)} s, 1 sampler ${one.summary.elapsedSec.toFixed(0)} s`,
  );
});
