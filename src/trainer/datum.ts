import type { Completion } from "../policy/types.js";
import type { Datum } from "./types.js";

/**
 * The training datum of one sampled completion: the full sequence shifted by one, behaviour log-probabilities and
 * the advantage on completion tokens only (a number broadcasts to every completion token).
 */
export function datumFromCompletion(c: Pick<Completion, "promptTokens" | "tokens" | "logprobs">, advantage: number | number[]): Datum {
  if (c.logprobs.length !== c.tokens.length) throw new Error("completion has a logprob per token");
  if (c.promptTokens.length === 0) throw new Error("a completion needs a non-empty prompt");
  const perToken = typeof advantage === "number" ? c.tokens.map(() => advantage) : advantage;
  if (perToken.length !== c.tokens.length) throw new Error(`advantages: expected ${c.tokens.length}, got ${perToken.length}`);
  const seq = [...c.promptTokens, ...c.tokens];
  const promptTargets = c.promptTokens.length - 1;
  return {
    modelInput: seq.slice(0, -1),
    targetTokens: seq.slice(1),
    logprobs: [...new Array<number>(promptTargets).fill(0), ...c.logprobs],
    advantages: [...new Array<number>(promptTargets).fill(0), ...perToken],
  };
}
