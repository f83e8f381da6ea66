/**
 * What every baseline search is to the scheduler in search-run.ts: it proposes the next program of one task
 * (and seed) from what it has seen so far, and learns each execution's agent-visible outcome. Searches never see
 * the hidden test score: `complete` receives only the visible part of an outcome.
 */
import type { Completion } from "../policy/types.js";
import type { AgentFeedback, RolloutRecord } from "../core/rollout.js";
import { pickSubmission } from "../core/select.js";

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

/** The best node by the one submission rule (src/core/select.ts) over the nodes in the order they finished. */
export function bestNode<N extends { id: number; outcome: VisibleOutcome }>(nodes: readonly N[], lowerIsBetter: boolean): N | null {
  const picked = pickSubmission(
    nodes.map((n) => ({ node: n, validSubmission: n.outcome.validSubmission, validationMetric: n.outcome.validationMetric })),
    lowerIsBetter,
  );
  return picked?.node ?? null;
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
