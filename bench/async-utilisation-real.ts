// Executor utilisation on real executions: the asynchronous loop against a synchronous batch loop (sample B,
// run them all, update), same policy init, same task, same number of rollouts, both in the real sandbox.
// Usage: scripts/bench.sh async-utilisation-real   (ROLLOUTS=24 BATCH=8 TASK=... to change the workload)
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { AstInstrumenter } from "../src/instrument/index.js";
import { FragmentPolicy, FragmentSampler } from "../src/policy/fragment-policy.js";
import { RealClock } from "../src/core/clock.js";
import { runLoop } from "../src/rl/loop.js";
import { DEFAULT_ADVANTAGE } from "../src/rl/advantage.js";
import { LoopSettings } from "../src/core/config.js";
import { SamplerTrainerPolicy } from "../src/rl/policy-adapter.js";
import { runSyncLoop } from "../src/rl/sync-loop.js";
import { EnvironmentRunner } from "../src/rollout/runner.js";
import { BwrapExecutor } from "../src/sandbox/index.js";
import { RunStore } from "../src/store/run-store.js";
import { prepareTasks, requirePrepared } from "../src/tasks/registry.js";
import { InProcessTrainer } from "../src/trainer/in-process.js";

const task = process.env.TASK ?? "mini-tabular-playground-series-may-2022";
const rollouts = Number(process.env.ROLLOUTS ?? 24);
const batch = Number(process.env.BATCH ?? 8);
const executors = Number(process.env.EXECUTORS ?? availableParallelism());
const root = mkdtempSync(join(tmpdir(), "mlerl-bench-real-"));
const dataDir = join(root, "data");
await prepareTasks([task], dataDir, () => {});
const prepared = requirePrepared(task, dataDir);
const instrumenter = new AstInstrumenter();
const runner = new EnvironmentRunner({
  executor: new BwrapExecutor(),
  instrumenter,
  tasks: new Map([[task, prepared]]),
  limits: { timeoutSec: 60 },
  split: null,
  reward: { validBonus: 2, scoreFloor: -1, qualityWeight: 0, qualityFloor: -1 },
});

async function policy() {
  const p = await FragmentPolicy.create({ seed: 1 });
  return new SamplerTrainerPolicy(new FragmentSampler(p), new InProcessTrainer(p), new Map([[task, prepared.spec]]), {
    loss: { name: "ppo" },
    adam: { learningRate: 0.003 },
    seed: 1,
  });
}

const store = RunStore.open(join(root, "async"));
const a = await runLoop(
  { policy: await policy(), runner, store, clock: new RealClock() },
  {
    taskIds: [task],
    loop: { ...LoopSettings.parse({ batchSize: batch, improveProb: 0 }), executors, samplers: 1 },
    maxRollouts: rollouts,
    seed: 0,
    writePrograms: true,
  },
);
store.close();
let n = 0;
const syncRunner = { run: (req: Parameters<typeof runner.run>[0]) => runner.run({ ...req, outDir: join(root, "sync", String(n++)) }) };
const s = await runSyncLoop(
  { policy: await policy(), runner: syncRunner, clock: new RealClock() },
  { taskIds: [task], executors, batchSize: batch, durationAware: true, advantage: DEFAULT_ADVANTAGE, maxRollouts: rollouts },
);
await instrumenter.close();
rmSync(root, { recursive: true, force: true });
console.log(`real executions: ${task}, ${rollouts} rollouts, batch ${batch}, ${executors} executors (bubblewrap sandbox)`);
console.log(
  `  async : utilisation ${a.utilisation.toFixed(3)}, ${a.elapsedSec.toFixed(1)} s, ${((a.rollouts / a.elapsedSec) * 60).toFixed(1)} rollouts/min`,
);
console.log(
  `  sync  : utilisation ${s.utilisation.toFixed(3)}, ${s.elapsedSec.toFixed(1)} s, ${((s.rollouts / s.elapsedSec) * 60).toFixed(1)} rollouts/min`,
);
console.log(
  `  ratio : utilisation ×${(a.utilisation / s.utilisation).toFixed(2)}, throughput ×${(a.rollouts / a.elapsedSec / (s.rollouts / s.elapsedSec)).toFixed(2)} (target: async ≥ 0.9)`,
);
