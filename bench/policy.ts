// The built-in fragment LM's two hot paths on this machine: sampling 32 programs (incremental decoding) and one
// update on a batch of 32 programs (forwardBackward with the ppo loss + an Adam step). Half the batch are improve
// prompts (they carry a previous program, so sequences are about twice as long). Targets: < 0.5 s per 32 samples,
// < 2 s per update. Reports the median of REPS runs after one warm-up.
import { FragmentPolicy, FragmentSampler } from "../src/policy/fragment-policy.js";
import type { SampleRequest } from "../src/policy/types.js";
import { tf } from "../src/policy/tf.js";
import { BUILTIN_TASKS } from "../src/tasks/builtin/index.js";
import { InProcessTrainer } from "../src/trainer/in-process.js";
import { datumFromCompletion } from "../src/trainer/datum.js";

const REPS = Number(process.env.REPS ?? 5);
const BATCH = 32;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const policy = await FragmentPolicy.create({ seed: 0 });
const sampler = new FragmentSampler(policy);
const trainer = new InProcessTrainer(policy);
const tasks = BUILTIN_TASKS.map((t) => t.spec);
const scratch: SampleRequest[] = Array.from({ length: BATCH }, (_, i) => ({ task: tasks[i % tasks.length]!, kind: "scratch" }));

async function mixedRequests(seed: number): Promise<SampleRequest[]> {
  const previous = await sampler.sample(scratch.slice(0, BATCH / 2), { seed: seed + 1000 });
  return [
    ...previous.map((c, i): SampleRequest => ({
      task: scratch[i]!.task,
      kind: "improve",
      previous: { tokens: c.tokens, text: c.text, stageReached: "predict", failure: "error", validationScore: null },
    })),
    ...scratch.slice(BATCH / 2),
  ];
}

const sampleScratch: number[] = [];
const sampleMixed: number[] = [];
const update: number[] = [];
let tokens = 0;
for (let r = 0; r <= REPS; r++) {
  let t0 = performance.now();
  await sampler.sample(scratch, { seed: r });
  const s1 = performance.now() - t0;
  const reqs = await mixedRequests(r);
  t0 = performance.now();
  const batch = await sampler.sample(reqs, { seed: r });
  const s2 = performance.now() - t0;
  const datums = batch.map((c, i) => datumFromCompletion(c, i % 2 === 0 ? 1 : -0.5));
  tokens = datums.reduce((n, d) => n + d.modelInput.length, 0);
  t0 = performance.now();
  await trainer.forwardBackward(datums, { name: "ppo", clipLow: 0.2, clipHigh: 0.2 });
  await trainer.optimStep({ learningRate: 1e-3 });
  const u = performance.now() - t0;
  if (r === 0) continue; // warm-up: WASM compilation, first-touch allocations
  sampleScratch.push(s1);
  sampleMixed.push(s2);
  update.push(u);
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
console.log(
  `fragment LM: ${policy.parameterCount} parameters, vocabulary ${policy.vocab.size} (${policy.vocab.outputSize} outputs), backend ${tf.getBackend()}`,
);
console.log(`sample ${BATCH} scratch programs:          median ${fmt(median(sampleScratch))} (target < 0.5 s)`);
console.log(`sample ${BATCH} programs, half improve:    median ${fmt(median(sampleMixed))}`);
console.log(`update on ${BATCH} programs (${tokens} tokens): median ${fmt(median(update))} (target < 2 s)`);
console.log(`tensors alive after the run: ${tf.memory().numTensors}`);
policy.dispose();
