import { FRAGMENTS, OPTIONAL_STAGES, REPEATABLE_STAGES, STAGES, type Stage } from "./fragments.js";
import { MASKED_LOGIT } from "./model.js";
import { EOS, SEP, type Vocabulary } from "./vocab.js";

/**
 * Which stages may come next in a well-formed program: the next stage, any optional stage before the next required
 * one, and another fragment of a repeatable stage (several preprocessing steps). After the last stage, only the
 * end token.
 */
export function nextStages(after: Stage | "start"): Array<Stage | "end"> {
  const from = after === "start" ? -1 : STAGES.indexOf(after);
  const out: Array<Stage | "end"> = [];
  if (after !== "start" && REPEATABLE_STAGES.has(after)) out.push(after);
  for (let i = from + 1; i < STAGES.length; i++) {
    const s = STAGES[i] as Stage;
    out.push(s);
    if (!OPTIONAL_STAGES.has(s)) return out;
  }
  out.push("end");
  return out;
}

/** Output ids allowed after the token `prevId` (SEP starts a program; other prompt tokens allow everything). */
export function allowedAfter(vocab: Vocabulary, prevId: number): number[] | undefined {
  const prev = vocab.token(prevId);
  let stage: Stage | "start";
  if (prev === SEP) stage = "start";
  else if (vocab.isOutput(prevId) && prev !== EOS) stage = prev.split(".")[0] as Stage;
  else return undefined;
  const next = new Set(nextStages(stage));
  const ids: number[] = [];
  if (next.has("end")) ids.push(vocab.id(EOS));
  for (const f of FRAGMENTS) {
    if (next.has(f.stage) && (f.onlyAfter === undefined || f.onlyAfter === stage)) ids.push(vocab.id(f.name));
  }
  return ids;
}

/**
 * The fixed logit offsets [vocab × output] the fragment LM adds to its network's logits, indexed by the previous token.
 * "soft": fitting tokens get strength + ln(outputs / fitting), so the probability mass on well-formed continuations
 * is about the same at every step whatever their number, and every other token keeps a non-zero probability.
 * "mask": non-fitting tokens are forbidden outright (a grammar mask, for comparison).
 */
export function priorTable(vocab: Vocabulary, mode: "soft" | "mask" | "none", strength: number): Float32Array {
  const n = vocab.outputSize;
  const table = new Float32Array(vocab.size * n);
  if (mode === "none") return table;
  for (let prev = 0; prev < vocab.size; prev++) {
    const allowed = allowedAfter(vocab, prev);
    if (!allowed || allowed.length === 0) continue;
    const row = table.subarray(prev * n, (prev + 1) * n);
    if (mode === "mask") {
      row.fill(MASKED_LOGIT);
      for (const id of allowed) row[id] = 0;
    } else {
      const bonus = strength + Math.log(n / allowed.length);
      for (const id of allowed) row[id] = bonus;
    }
  }
  return table;
}
