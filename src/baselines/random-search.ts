/**
 * Random search over the built-in policy's program space: independent programs drawn uniformly over the
 * fragment grammar's choices (at every step, each fragment the grammar allows next, or the end when allowed, is
 * equally likely), not from any learned distribution. Selection is by the printed validation metric.
 */
import { OPTIONAL_STAGES, STAGES, type Stage } from "../policy/fragments.js";
import { allowedAfter } from "../policy/grammar.js";
import { DEFAULT_POLICY } from "../policy/fragment-policy.js";
import { renderProgram } from "../policy/render.js";
import { EOS, SEP, Vocabulary } from "../policy/vocab.js";
import type { TaskSpec } from "../core/task.js";
import { Rng } from "../util/random.js";
import { hashString } from "../eval/sampler-solver.js";
import type { ProposedStep, Search, SearchNode, VisibleOutcome } from "./search.js";

/** Tokens still needed after a fragment of `stage` to end a well-formed program: its required later stages + the end. */
export function tokensToEnd(stage: Stage | "start"): number {
  const from = stage === "start" ? -1 : STAGES.indexOf(stage);
  return STAGES.slice(from + 1).filter((s) => !OPTIONAL_STAGES.has(s)).length + 1;
}

/**
 * One program's output tokens (ending with the end token), each step uniform over the grammar's allowed
 * continuations that can still end within `maxTokens` (so repeatable stages never crowd out required ones).
 */
export function drawUniformProgram(vocab: Vocabulary, rng: Rng, maxTokens = DEFAULT_POLICY.maxNewTokens): number[] {
  const eos = vocab.id(EOS);
  if (maxTokens < tokensToEnd("start"))
    throw new RangeError(`a well-formed program needs at least ${tokensToEnd("start")} tokens, got ${maxTokens}`);
  const tokens: number[] = [];
  let prev = vocab.id(SEP);
  for (;;) {
    const room = maxTokens - tokens.length;
    const allowed = (allowedAfter(vocab, prev) ?? []).filter(
      (id) => id === eos || 1 + tokensToEnd(vocab.token(id).split(".")[0] as Stage) <= room,
    );
    const id = rng.pick(allowed);
    tokens.push(id);
    if (id === eos) return tokens;
    prev = id;
  }
}

/** One random search of one task and seed. */
export class RandomSearch implements Search {
  readonly nodes: SearchNode[] = [];
  private readonly rng: Rng;
  private readonly vocab = new Vocabulary();

  constructor(private readonly opts: { task: TaskSpec; seed: number; maxTokens?: number }) {
    this.rng = new Rng((hashString(opts.task.id) ^ Math.imul(opts.seed + 1, 0x85ebca6b)) >>> 0);
  }

  get taskId(): string {
    return this.opts.task.id;
  }

  get seed(): number {
    return this.opts.seed;
  }

  async propose(): Promise<ProposedStep> {
    const tokens = drawUniformProgram(this.vocab, this.rng, this.opts.maxTokens);
    return { step: "random", parentNode: null, code: renderProgram(this.opts.task, this.vocab, tokens), tokens, completion: null };
  }

  complete(step: ProposedStep, outcome: VisibleOutcome): number {
    const id = this.nodes.length;
    this.nodes.push({ id, parentNode: null, step: step.step, tokens: step.tokens, code: step.code, outcome, debugDepth: 0 });
    return id;
  }
}
