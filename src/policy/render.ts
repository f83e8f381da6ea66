import type { TaskSpec } from "../core/task.js";
import { taskContext } from "./context.js";
import { fragmentByName } from "./fragments.js";
import { renderPreamble } from "./preamble.js";
import { EOS, type Vocabulary } from "./vocab.js";

/** The fragment names of a completion, up to (not including) the end token. */
export function fragmentNames(vocab: Vocabulary, tokens: readonly number[]): string[] {
  const names: string[] = [];
  for (const id of tokens) {
    const t = vocab.token(id);
    if (t === EOS) break;
    if (vocab.isOutput(id)) names.push(t);
  }
  return names;
}

/**
 * One runnable Python file: the task preamble, then each sampled fragment in sampled order (misplaced fragments
 * stay misplaced: the program then fails where it fails).
 */
export function renderProgram(task: TaskSpec, vocab: Vocabulary, tokens: readonly number[]): string {
  const ctx = taskContext(task);
  const parts = [renderPreamble(ctx, task.sampleSubmissionFile)];
  for (const name of fragmentNames(vocab, tokens)) {
    parts.push(`# ---- ${name}\n${fragmentByName(name).render(ctx)}`);
  }
  return `${parts.join("\n\n")}\n`;
}
