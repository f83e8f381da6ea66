/**
 * An AIDE-style tree search (MLE-bench's AIDE agent, see docs/evaluation.md): while there are fewer than
 * `numDrafts` drafts, draft a new root; otherwise, with probability `debugProb`, debug a random buggy leaf whose
 * debug depth is at most `maxDebugDepth`; if there is nothing to debug and no good node, draft; else improve the
 * best good node by its validation metric. "Good" = a valid submission with a printed metric (AIDE's review step);
 * the hidden test score is never seen.
 *
 * Driven by any Sampler: a draft is a scratch request, debug and improve are improve requests on the node.
 */
import type { Sampler, SampleRequest } from "../policy/types.js";
import type { AideSettings } from "../core/config.js";
import { previousAttemptOf } from "../policy/feedback.js";
import type { TaskSpec } from "../core/task.js";
import { Rng } from "../util/random.js";
import { hashString } from "../eval/sampler-solver.js";
import { bestNode, isGood, type ProposedStep, type Search, type SearchNode, type VisibleOutcome } from "./search.js";

export type AideConfig = AideSettings;

/** AIDE's defaults as MLE-bench runs it. */
export const DEFAULT_AIDE: AideConfig = { numDrafts: 5, debugProb: 0.5, maxDebugDepth: 3 };

export type AideDecision = { kind: "draft" } | { kind: "debug"; node: number } | { kind: "improve"; node: number };

export interface AideState {
  nodes: readonly SearchNode[];
  /** Drafts proposed whose outcome is not back yet: they count as roots already. */
  pendingDrafts: number;
  /** Nodes with a child in flight are not leaves. */
  pendingParents: ReadonlySet<number>;
}

/**
 * The next step, given the tree so far and a uniform random source. Pure: the same state and random numbers
 * give the same decision. Draws one number for the debug coin once the drafts are done, and one more to pick
 * among debuggable leaves.
 */
export function aideDecision(state: AideState, random: () => number, config: AideConfig, lowerIsBetter: boolean): AideDecision {
  const drafts = state.nodes.filter((n) => n.step === "draft").length + state.pendingDrafts;
  if (drafts < config.numDrafts) return { kind: "draft" };
  if (random() < config.debugProb) {
    const parents = new Set(state.nodes.map((n) => n.parentNode).filter((p): p is number => p !== null));
    const debuggable = state.nodes.filter(
      (n) => !isGood(n.outcome) && !parents.has(n.id) && !state.pendingParents.has(n.id) && n.debugDepth <= config.maxDebugDepth,
    );
    if (debuggable.length > 0) {
      const pick = debuggable[Math.min(debuggable.length - 1, Math.floor(random() * debuggable.length))] as SearchNode;
      return { kind: "debug", node: pick.id };
    }
  }
  const good = state.nodes.filter((n) => isGood(n.outcome));
  if (good.length === 0) return { kind: "draft" };
  const best = bestNode(good, lowerIsBetter) as SearchNode;
  return { kind: "improve", node: best.id };
}

/** The improve request that shows the policy a node (its tokens and the feedback the training loop would give). */
export function improveRequestFor(task: TaskSpec, node: SearchNode): SampleRequest {
  const o = node.outcome;
  const fb = previousAttemptOf(o);
  return {
    task,
    kind: "improve",
    previous: {
      tokens: node.tokens,
      text: node.code,
      stageReached: fb.stage,
      failure: fb.failure,
      validationScore: o.validationMetric,
      output: o.output,
    },
  };
}

/** One AIDE search of one task and seed. */
export class AideSearch implements Search {
  readonly nodes: SearchNode[] = [];
  private pendingDrafts = 0;
  private readonly pendingParents = new Map<number, number>();
  private readonly random: () => number;
  private proposals = 0;

  constructor(
    private readonly opts: {
      task: TaskSpec;
      seed: number;
      sampler: Sampler;
      config?: AideConfig;
      /** Uniform numbers for the search's own choices (default: a stream seeded by task and seed). */
      random?: () => number;
    },
  ) {
    const rng = new Rng((hashString(opts.task.id) ^ Math.imul(opts.seed + 1, 0x9e3779b1)) >>> 0);
    this.random = opts.random ?? (() => rng.next());
  }

  get taskId(): string {
    return this.opts.task.id;
  }

  get seed(): number {
    return this.opts.seed;
  }

  async propose(): Promise<ProposedStep> {
    const config = this.opts.config ?? DEFAULT_AIDE;
    // Decided and marked pending before sampling, so proposals made while others are in flight see them.
    const decision = aideDecision(
      { nodes: this.nodes, pendingDrafts: this.pendingDrafts, pendingParents: new Set(this.pendingParents.keys()) },
      this.random,
      config,
      this.opts.task.lowerIsBetter,
    );
    const parent = decision.kind === "draft" ? null : (this.nodes.find((n) => n.id === decision.node) as SearchNode);
    if (parent) this.pendingParents.set(parent.id, (this.pendingParents.get(parent.id) ?? 0) + 1);
    else this.pendingDrafts += 1;
    const request: SampleRequest = parent ? improveRequestFor(this.opts.task, parent) : { task: this.opts.task, kind: "scratch" };
    const seed = (Math.imul(hashString(this.opts.task.id) ^ (this.opts.seed * 7919), 2654435761) + this.proposals++) >>> 0;
    const [c] = await this.opts.sampler.sample([request], { seed });
    if (!c) throw new Error(`sampler ${this.opts.sampler.name} returned no completion`);
    return { step: decision.kind, parentNode: parent?.id ?? null, code: c.text, tokens: c.tokens, completion: c };
  }

  complete(step: ProposedStep, outcome: VisibleOutcome): number {
    if (step.parentNode === null) this.pendingDrafts -= 1;
    else {
      const left = (this.pendingParents.get(step.parentNode) ?? 1) - 1;
      if (left <= 0) this.pendingParents.delete(step.parentNode);
      else this.pendingParents.set(step.parentNode, left);
    }
    const parent = step.parentNode === null ? null : this.nodes.find((n) => n.id === step.parentNode);
    const id = this.nodes.length;
    this.nodes.push({
      id,
      parentNode: step.parentNode,
      step: step.step,
      tokens: step.tokens,
      code: step.code,
      outcome,
      debugDepth: step.step === "debug" ? (parent?.debugDepth ?? 0) + 1 : 0,
    });
    return id;
  }
}
