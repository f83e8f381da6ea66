import type { Table, TableColumn } from "./table.js";

/** The private answers are unusable (missing column, bad value): a broken preparation, not the submission's fault. */
export class AnswersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AnswersError";
  }
}

export function answersColumn(answers: Table, name: string): TableColumn {
  const c = answers.columns.get(name);
  if (!c) throw new AnswersError(`${answers.source} has no column '${name}' (its columns: ${answers.header.join(", ")})`);
  return c;
}

/** Numeric (or boolean, as 1 / 0) answer values; every cell must be present. */
export function answersNumbers(answers: Table, name: string): number[] {
  const c = answersColumn(answers, name);
  const bad = c.numbers.findIndex((v) => !Number.isFinite(v));
  if (c.kind === "text" || bad >= 0) {
    const row = bad >= 0 ? bad : c.raw.findIndex((_, i) => !c.missing[i]);
    throw new AnswersError(`${answers.source}: column '${name}' row ${row + 1} is ${JSON.stringify(c.raw[row])}, not a number`);
  }
  return c.numbers.slice();
}
