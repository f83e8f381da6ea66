/**
 * What every baseline search is to the scheduler in search-run.ts: it proposes the next program of one task
 * (and seed) from what it has seen so far, and learns each execution's agent-visible outcome. Searches never see
 * the hidden test score: `complete` receives only the visible part of an outcome.
 */
import type { Completion } from "../policy/types.js";
import type { AgentFeedback, RolloutRecord } from "../core/rollout.js";
import { better } from "../core/task.js";

/** The kinds of step: AIDE's draft / debug / improve, or an independent random program. */
export type StepKind = "draft" | "debug" | "improve" | "random";

export interface ProposedStep {
  step: StepKind;
  /** The node this step builds on (debug / improve), else null. */
  parentNode: number | null;
  code: string;
  /** The sampled completion (token-level policies), or the drawn tokens of a random program. */
  tokens: number[];
  completion: Completion | null;
}

/** The part of an outcome a search may use: the agent-visible feedback, deliberately no test score and no reward. */
export type VisibleOutcome = AgentFeedback;

export function visibleOf(record: RolloutRecord): VisibleOutcome {
  return record.feedback;
}

/** A finished node of a search: the step that made it and what the agent could see of its run. */
export interface SearchNode {
  id: number;
  parentNode: number | null;
  step: StepKind;
  tokens: number[];
  code: string;
  outcome: VisibleOutcome;
  /** AIDE: consecutive debug steps leading to this node (0 for a draft or improvement). */
  debugDepth: number;
}

/** AIDE's "good" node: a valid submission with a finite printed validation metric. Everything else is buggy. */
export const isGood = (o: VisibleOutcome): boolean =>
  o.validSubmission && o.validationMetric !== null && Number.isFinite(o.validationMetric);

/**
 * The best node by the agent-visible validation metric (direction-aware; ties keep the earlier node). Without a
 * good node, the first node with a valid submission; without one, null.
 */
export function bestNode<N extends { id: number; outcome: VisibleOutcome }>(nodes: readonly N[], lowerIsBetter: boolean): N | null {
  let best: N | null = null;
  for (const n of nodes) {
    if (!isGood(n.outcome)) continue;
    const m = n.outcome.validationMetric as number;
    const b = best?.outcome.validationMetric as number;
    if (best === null || better(m, b, lowerIsBetter)) best = n;
  }
  return best ?? nodes.find((n) => n.outcome.validSubmission) ?? null;
}

export interface Search {
  readonly taskId: string;
  readonly seed: number;
  /** The next program to run, or null when the search has nothing to propose right now. */
  propose(): Promise<ProposedStep | null>;
  /** Records a proposed step's visible outcome; returns the node id. */
  complete(step: ProposedStep, outcome: VisibleOutcome): number;
  /** Steps proposed whose outcome is not back yet (so concurrent proposals do not all draft). */
  readonly nodes: readonly SearchNode[];
}
