import { FRAGMENTS, LAST_STAGE, OPTIONAL_STAGES, REPEATABLE_STAGES, SETTLED_AFTER, STAGES, UNSETTLING, type Stage } from "./fragments.js";
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

/**
 * Whether `next` may follow `after` at all, even out of order: nothing follows the write stage but the end, and
 * a program that has validated, fitted or predicted never changes its features or model again. Everything else
 * is merely unlikely under the soft prior, so a policy can still learn from programs that fail.
 */
export function mayFollow(after: Stage | "start", next: Stage | "end"): boolean {
  if (after === "start") return true;
  if (after === LAST_STAGE) return next === "end";
  return !(SETTLED_AFTER.has(after) && next !== "end" && UNSETTLING.has(next));
}

/** The stage of the program so far when the previous token is `prevId`; undefined for prompt tokens. */
function stageAfter(vocab: Vocabulary, prevId: number): Stage | "start" | undefined {
  const prev = vocab.token(prevId);
  if (prev === SEP) return "start";
  if (vocab.isOutput(prevId) && prev !== EOS) return prev.split(".")[0] as Stage;
  return undefined;
}

/** Output ids allowed after the token `prevId` (SEP starts a program; other prompt tokens allow everything). */
export function allowedAfter(vocab: Vocabulary, prevId: number): number[] | undefined {
  const stage = stageAfter(vocab, prevId);
  if (stage === undefined) return undefined;
  const next = new Set(nextStages(stage));
  const ids: number[] = [];
  if (next.has("end")) ids.push(vocab.id(EOS));
  for (const f of FRAGMENTS) {
    if (next.has(f.stage) && (f.onlyAfter === undefined || f.onlyAfter === stage)) ids.push(vocab.id(f.name));
  }
  return ids;
}

/** Output ids that may never follow `prevId` (see `mayFollow`). */
export function forbiddenAfter(vocab: Vocabulary, prevId: number): number[] {
  const stage = stageAfter(vocab, prevId);
  if (stage === undefined) return [];
  const ids: number[] = [];
  if (!mayFollow(stage, "end")) ids.push(vocab.id(EOS));
  for (const f of FRAGMENTS) if (!mayFollow(stage, f.stage)) ids.push(vocab.id(f.name));
  return ids;
}

/**
 * The fixed logit offsets [vocab × output] the fragment LM adds to its network's logits, indexed by the previous token.
 * "soft": fitting tokens get strength + ln(outputs / fitting), so the probability mass on well-formed continuations
 * is about the same at every step whatever their number, every other token keeps a non-zero probability, except
 * the few transitions `mayFollow` rules out. "mask": non-fitting tokens are forbidden outright (a grammar mask,
 * for comparison).
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
      for (const id of forbiddenAfter(vocab, prev)) row[id] = MASKED_LOGIT;
    }
  }
  return table;
}
