/**
 * A Sampler (token-level policy) as the `solve` function of the test-time procedure. The improve request
 * continues from the scratch completion's own tokens (never re-tokenised text) with the same feedback
 * vocabulary the training loop uses, so the policy sees test-time prompts exactly as it saw training prompts.
 */
import type { SolveOutput, SolveRequest } from "../agent/test-time.js";
import type { Completion, Sampler } from "../policy/types.js";
import { previousAttemptOf } from "../policy/feedback.js";
import type { TaskSpec } from "../core/task.js";

export interface SamplerSolveOutput extends SolveOutput {
  completion: Completion;
}

/** Stable 32-bit hash of a string (FNV-1a), to give every task its own sampling stream. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The sampling seed of one request: a function of (task, seed, sample, kind) only, so an evaluation is
 * reproducible whatever order or concurrency its attempts ran in.
 */
export function samplingSeed(taskId: string, seed: number, sample: number, kind: "scratch" | "improve"): number {
  const mix = Math.imul(hashString(taskId) ^ Math.imul(seed + 1, 0x9e3779b1), 0x85ebca6b) >>> 0;
  return (mix ^ Math.imul(sample * 2 + (kind === "improve" ? 1 : 0) + 1, 0xc2b2ae35)) >>> 0;
}

/** One solver per attempt (it remembers that attempt's scratch completion for the improve request). */
export function samplerSolver(
  sampler: Sampler,
  task: TaskSpec,
  seedOf: (kind: "scratch" | "improve") => number,
): (req: SolveRequest) => Promise<SamplerSolveOutput> {
  let scratch: Completion | null = null;
  return async (req) => {
    let completion: Completion | undefined;
    if (req.kind === "improve") {
      if (!scratch || !req.previous) throw new Error("an improve request needs the scratch completion and the previous attempt");
      const prev = req.previous;
      // Without the environment's feedback (a run outside mlerl's environment), only validity is known.
      const fb = previousAttemptOf(prev.feedback ?? { failureKind: prev.validSubmission ? "none" : "runtime_error", milestones: 0 });
      [completion] = await sampler.sample(
        [
          {
            task,
            kind: "improve",
            previous: {
              tokens: scratch.tokens,
              text: prev.code,
              stageReached: fb.stage,
              failure: fb.failure,
              validationScore: prev.validationMetric,
              output: prev.output,
            },
          },
        ],
        { seed: seedOf("improve") },
      );
    } else {
      [completion] = await sampler.sample([{ task, kind: "scratch" }], { seed: seedOf("scratch") });
      scratch = completion ?? null;
    }
    if (!completion) throw new Error(`sampler ${sampler.name} returned no completion`);
    return { code: completion.text, completion };
  };
}
