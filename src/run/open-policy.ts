/**
 * The one place a run's training policy is opened: the built-in fragment LM with its in-process trainer, the
 * simulation's bandit, or a real LM behind its servers, each behind the loop's PolicyPort.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_SIM_MODEL, type RunConfig } from "../core/config.js";
import type { PolicyPort } from "../core/policy-port.js";
import type { PreparedTask } from "../core/task.js";
import { BanditPolicy } from "../policy/bandit.js";
import { FragmentSampler } from "../policy/fragment-policy.js";
import { openFragment } from "../policy/open.js";
import { SamplerTrainerPolicy } from "../rl/policy-adapter.js";
import { InProcessTrainer } from "../trainer/in-process.js";
import { openLmPolicy } from "./open-lm-policy.js";

export interface OpenedPolicy {
  policy: PolicyPort;
  close(): void;
}

const BanditState = z.object({ version: z.number().int(), logits: z.array(z.number()) });

/**
 * The training policy of a run, continued from `checkpoint` (the run's newest) when there is one. `latestVersion`
 * is that checkpoint's version, which also moves the sampling stream on so a resumed run does not replay samples.
 */
export async function openPolicy(opts: {
  config: RunConfig;
  tasks: ReadonlyMap<string, PreparedTask>;
  checkpoint: string | null;
  latestVersion: number;
  log: (line: string) => void;
}): Promise<OpenedPolicy> {
  const { config, checkpoint } = opts;
  const present = checkpoint !== null && existsSync(checkpoint) ? checkpoint : null;
  if (config.policy.kind === "openai") {
    return openLmPolicy({ config, tasks: opts.tasks, checkpoint: present ?? undefined, latestVersion: opts.latestVersion, log: opts.log });
  }
  if (config.policy.kind === "bandit") {
    const model = config.env.simModel ?? DEFAULT_SIM_MODEL;
    const bandit = new BanditPolicy(Object.keys(model.actions), { lr: config.optim.lr, clip: config.optim.clip, seed: config.seed });
    const state = present ? join(present, "bandit.json") : null;
    if (state && existsSync(state)) bandit.restore(BanditState.parse(JSON.parse(readFileSync(state, "utf8"))));
    return { policy: bandit, close() {} };
  }
  const fragment = await openFragment({ checkpoint: present, seed: config.seed, prior: config.policy.prior });
  const trainer = new InProcessTrainer(fragment);
  if (present) await trainer.load(present);
  const specs = new Map([...opts.tasks].map(([id, t]) => [id, t.spec]));
  const policy = new SamplerTrainerPolicy(new FragmentSampler(fragment), trainer, specs, {
    loss: { name: config.optim.loss, clipLow: config.optim.clip, clipHigh: config.optim.clip },
    adam: { learningRate: config.optim.lr, maxGradNorm: 1 },
    seed: config.seed + opts.latestVersion * 7919,
    epochs: config.optim.epochs,
    explorationBonus: config.optim.explore,
  });
  return { policy, close: () => fragment.dispose() };
}
