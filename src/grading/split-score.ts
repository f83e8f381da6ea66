import type { TaskSpec } from "../core/task.js";
import { UserError } from "../errors.js";
import { AnswersError } from "./answers.js";
import { InvalidSubmission, alignById } from "./checks.js";
import { graderFor } from "./competitions.js";
import type { AnswersSplit, SplitPart } from "./split.js";
import { isInt64Column, type Table, type TableColumn } from "./table.js";

/**
 * The rows of a table, in the given order, as pandas' `df.iloc[rows]` keeps them: the same header and the same
 * column types (a float column stays float even if the rows left are all integers).
 */
export function subsetTable(table: Table, rows: readonly number[], source = table.source): Table {
  const columns = new Map<string, TableColumn>();
  for (const [name, c] of table.columns) {
    const pickAll = <T>(values: readonly T[]) => rows.map((r) => values[r] as T);
    columns.set(name, {
      name,
      kind: c.kind,
      raw: pickAll(c.raw),
      missing: pickAll(c.missing),
      numbers: pickAll(c.numbers),
      int64: c.kind === "numeric" ? isInt64Column(c) : false,
    });
  }
  return { source, header: table.header.slice(), rowCount: rows.length, columns, indexFields: table.indexFields };
}

/** A part's score, or why it has none (e.g. constant predictions on that part make Pearson r undefined). */
export interface PartScore {
  /** Unrounded. */
  score: number | null;
  error: string | null;
}

export interface SplitScores {
  /** The score on every answer row, as MLE-bench grades the file. */
  all: number;
  reward: PartScore;
  report: PartScore;
}

/**
 * Score a submission on each part of a split. The submission is first graded as a whole (it must predict every
 * test id, exactly as MLE-bench requires: an InvalidSubmission propagates), then each part is graded on its answer
 * rows and the submission rows paired with them, so every metric (per-row, per-column, ranking) is computed on
 * the part alone. Throws UserError when a part's answers cannot be scored (e.g. a single class for ROC AUC).
 */
export function scoreSplit(spec: TaskSpec, submission: Table, answers: Table, split: AnswersSplit): SplitScores {
  if (split.taskId !== spec.id) throw new Error(`the split is of task ${split.taskId}, not ${spec.id}`);
  if (split.reward.length + split.report.length !== answers.rowCount) {
    throw new UserError(
      `the answers split of ${spec.id} covers ${split.reward.length + split.report.length} rows but ${answers.source} has ${answers.rowCount}`,
      "the answers changed since the split was made: split them again",
    );
  }
  const grader = graderFor(spec);
  let all: number;
  try {
    all = grader.grade(submission, answers);
  } catch (e) {
    if (e instanceof AnswersError) throw new UserError(`cannot grade ${spec.id}: ${e.message}`);
    throw e;
  }
  // Which submission row answers each answer row: by id, or the same position.
  const submissionRowOf: readonly number[] =
    grader.rowsMatchedBy === "position"
      ? Array.from({ length: answers.rowCount }, (_, r) => r)
      : (() => {
          const pairs = alignById(submission, answers, grader.idColumn);
          const out = new Array<number>(answers.rowCount);
          pairs.answers.forEach((r, i) => (out[r] = pairs.submission[i] as number));
          return out;
        })();
  const part = (name: SplitPart): PartScore => {
    const rows = split[name];
    const partAnswers = subsetTable(answers, rows, `${answers.source} (${name} split)`);
    const partSubmission = subsetTable(
      submission,
      rows.map((r) => submissionRowOf[r] as number),
    );
    try {
      const score = grader.grade(partSubmission, partAnswers);
      if (!Number.isFinite(score)) return { score: null, error: `the ${name}-split score is ${score}, not a number` };
      return { score, error: null };
    } catch (e) {
      if (e instanceof InvalidSubmission) return { score: null, error: `on the ${name} split: ${e.message}` };
      if (e instanceof AnswersError) {
        throw new UserError(
          `cannot grade the ${name} split of ${spec.id}: ${e.message}`,
          "draw another split (another split salt or a report fraction nearer 0.5)",
        );
      }
      throw e;
    }
  };
  return { all, reward: part("reward"), report: part("report") };
}
