/** The built-in fragment LM, opened from a checkpoint or a fresh init (training, evaluation, baselines, the CLI). */
import { existsSync } from "node:fs";
import { FragmentPolicy, FragmentSampler } from "./fragment-policy.js";

/** The built-in policy: the checkpoint's weights (and prior) when there is one, else the init of this seed. */
export async function openFragment(from: { checkpoint?: string | null; seed: number; prior?: "mask" | "soft" }): Promise<FragmentPolicy> {
  if (from.checkpoint && existsSync(from.checkpoint)) return (await FragmentPolicy.load(from.checkpoint)).policy;
  return FragmentPolicy.create({ seed: from.seed, ...(from.prior ? { priorMode: from.prior } : {}) });
}

/** A fragment-LM sampler and how to release it. */
export async function openFragmentSampler(from: { checkpoint?: string | null; seed: number }): Promise<{
  sampler: FragmentSampler;
  close(): void;
}> {
  const policy = await openFragment(from);
  return { sampler: new FragmentSampler(policy), close: () => policy.dispose() };
}
