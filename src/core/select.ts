/**
 * The one rule by which every method picks the program it would submit, from what the agent can see: among
 * programs with a valid submission and a finite printed validation metric, the best metric (ties keep the
 * earlier); without any, the earliest valid submission; without one, nothing. AIDE picks its best node this way,
 * the test-time procedure keeps the better of its two solutions this way, and reports draw every method's
 * best-so-far curve this way. No hidden score enters it.
 */
import { better } from "./task.js";

export interface Candidate {
  validSubmission: boolean;
  validationMetric: number | null;
}

const eligible = (c: Candidate): boolean => c.validSubmission && c.validationMetric !== null && Number.isFinite(c.validationMetric);

/** The pick among candidates in the order they became available (earlier first). */
export function pickSubmission<C extends Candidate>(candidates: readonly C[], lowerIsBetter: boolean): C | null {
  let best: C | null = null;
  for (const c of candidates) {
    if (!eligible(c)) continue;
    if (best === null || better(c.validationMetric as number, best.validationMetric as number, lowerIsBetter)) best = c;
  }
  return best ?? candidates.find((c) => c.validSubmission) ?? null;
}
