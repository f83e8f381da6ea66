// Executor utilisation of the asynchronous loop against a synchronous batch loop on the same simulated workload:
// 1,000 slots, heavy-tailed (lognormal σ=1.2) durations. Also the loop's own cost per rollout (CPU time of the
// orchestration, store writes included), since simulated executions cost nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoop } from "../src/rl/loop.js";
import { DEFAULT_ADVANTAGE } from "../src/rl/advantage.js";
import { runSyncLoop } from "../src/rl/sync-loop.js";
import { VirtualClock } from "../src/core/clock.js";
import { BanditPolicy } from "../src/policy/bandit.js";
import { SimulatedRunner } from "../src/rollout/simulated.js";
import { LoopSettings, type SimulationModel } from "../src/core/config.js";
import { RunStore } from "../src/store/run-store.js";

const slots = Number(process.env.SLOTS ?? 1000);
const budget = Number(process.env.SIM_SECONDS ?? 4000);
const model: SimulationModel = {
  failReward: -10,
  actions: {
    quick: { medianSec: 2, sigma: 1.2, reward: 0.4, rewardStd: 0.1, failProb: 0.2 },
    medium: { medianSec: 10, sigma: 1.2, reward: 0.6, rewardStd: 0.1, failProb: 0.1 },
    long: { medianSec: 40, sigma: 1.2, reward: 0.8, rewardStd: 0.1, failProb: 0.05 },
  },
};
const arms = Object.keys(model.actions);

async function asyncRun() {
  const clock = new VirtualClock();
  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-"));
  const store = RunStore.open(dir);
  const cpu0 = process.cpuUsage();
  const s = await clock.drive(
    runLoop(
      { policy: new BanditPolicy(arms, { lr: 0.05, clip: 0.2, seed: 1 }), runner: new SimulatedRunner(model, clock, 1), store, clock },
      {
        taskIds: ["t"],
        loop: {
          ...LoopSettings.parse({ batchSize: slots, maxStaleness: 1, improveProb: 0, keepCheckpoints: 1 }),
          executors: slots,
          samplers: 1,
        },
        maxSeconds: budget,
        seed: 0,
        writePrograms: false,
      },
    ),
  );
  const cpu = process.cpuUsage(cpu0);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { ...s, cpuMsPerRollout: (cpu.user + cpu.system) / 1000 / s.rollouts };
}

async function syncRun() {
  const clock = new VirtualClock();
  return clock.drive(
    runSyncLoop(
      { policy: new BanditPolicy(arms, { lr: 0.05, clip: 0.2, seed: 1 }), runner: new SimulatedRunner(model, clock, 1), clock },
      { taskIds: ["t"], executors: slots, batchSize: slots, durationAware: true, advantage: DEFAULT_ADVANTAGE, maxSeconds: budget },
    ),
  );
}

const a = await asyncRun();
const s = await syncRun();
const thrA = a.rollouts / a.elapsedSec;
const thrS = s.rollouts / s.elapsedSec;
console.log(
  `simulated: ${slots} slots, ${budget} simulated seconds each, lognormal durations (σ=1.2); busy time of runs cut at the deadline counts, their results do not`,
);
console.log(
  `  async : utilisation ${a.utilisation.toFixed(3)}, throughput ${thrA.toFixed(1)} rollouts/sim-s, loop cost ${a.cpuMsPerRollout.toFixed(3)} ms CPU/rollout`,
);
console.log(`  sync  : utilisation ${s.utilisation.toFixed(3)}, throughput ${thrS.toFixed(1)} rollouts/sim-s`);
console.log(
  `  ratio : utilisation ×${(a.utilisation / s.utilisation).toFixed(2)}, throughput ×${(thrA / thrS).toFixed(2)} (targets: async ≥ 0.95, ≥ 2× sync, < 1 ms/rollout)`,
);
