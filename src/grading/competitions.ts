import type { MetricName, TaskSpec } from "../core/task.js";
import {
  accuracy,
  meanColumnRmsle,
  meanColumnRocAuc,
  meanWordJaccard,
  multiclassLogLoss,
  pearson,
  quadraticWeightedKappa,
  rocAuc,
  wordJaccard,
} from "../metrics/index.js";
import { AnswersError, answersColumn, answersNumbers } from "./answers.js";
import {
  InvalidSubmission,
  alignById,
  column,
  numericColumn,
  pick,
  requireColumns,
  requireExactColumns,
  requireInRange,
  requireRowCount,
  rowLabel,
} from "./checks.js";
import { cellKey, pandasText, parseNumberCell, type CellKey, type Table } from "./table.js";

/**
 * A competition's grader: validates a submission against the answers exactly as MLE-bench's grade.py for that
 * competition does (same acceptance, same score), but explains a rejection. Throws InvalidSubmission for a
 * submission that cannot be scored and AnswersError for broken answers.
 */
export type Grader = {
  metric: MetricName;
  grade(submission: Table, answers: Table): number;
} & (ById | ByPosition);

/** Submission rows pair with answer rows by the id column (most competitions). */
interface ById {
  rowsMatchedBy: "id";
  idColumn: string;
}

/** Row i pairs with answer row i (nomad2018 keeps test.csv's order); the id column only names rows in messages. */
interface ByPosition {
  rowsMatchedBy: "position";
  idColumn: string | undefined;
}

const PROBABILITY = "predictions are probabilities";

/** ROC AUC on one binary target, rows matched by id (MLE-bench's prepare_for_auroc_metric). */
function binaryAuc(idColumn: string, target: string): Grader {
  return {
    metric: "roc_auc",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireColumns(sub, [idColumn, target]);
      requireRowCount(sub, answers.rowCount);
      const scores = numericColumn(sub, target, idColumn);
      requireInRange(sub, target, scores, 0, 1, idColumn, PROBABILITY);
      const pairs = alignById(sub, answers, idColumn);
      const yTrue = pick(answersNumbers(answers, target), pairs.answers);
      const auc = rocAuc(yTrue, pick(scores, pairs.submission));
      if (Number.isNaN(auc))
        throw new AnswersError(`${answers.source}: '${target}' does not hold exactly two classes, so ROC AUC is undefined`);
      return auc;
    },
  };
}

/** Mean of per-class ROC AUC; the columns must be exactly id + classes (plant pathology). */
function meanColumnAuc(idColumn: string, classes: readonly string[]): Grader {
  return {
    metric: "mean_column_roc_auc",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireRowCount(sub, answers.rowCount);
      requireExactColumns(sub, [idColumn, ...classes]);
      const pairs = alignById(sub, answers, idColumn);
      const trueCols = classes.map((c) => pick(answersNumbers(answers, c), pairs.answers));
      const scoreCols = classes.map((c) => pick(numericColumn(sub, c, idColumn), pairs.submission));
      const score = meanColumnRocAuc(trueCols, scoreCols);
      if (Number.isNaN(score)) throw new AnswersError(`${answers.source}: a class column holds a single class, so ROC AUC is undefined`);
      return score;
    },
  };
}

/**
 * Class labels of the target column as indices shared by answers and submission. Numbers compare by value; a
 * prediction that is not a label of the same type (2.5 or "two" for integer classes) is rejected, as
 * scikit-learn rejects mixed label types.
 */
function labelIndices(sub: Table, answers: Table, target: string, idColumn: string, pairs: { answers: number[]; submission: number[] }) {
  const truth = answersColumn(answers, target);
  const pred = column(sub, target);
  const integral = truth.kind !== "text" && truth.numbers.every((v) => Number.isInteger(v));
  const index = new Map<CellKey, number>();
  const id = (key: CellKey) => {
    let i = index.get(key);
    if (i === undefined) index.set(key, (i = index.size));
    return i;
  };
  const yTrue = pairs.answers.map((r) => {
    const key = cellKey(truth, r);
    if (key === undefined) throw new AnswersError(`${answers.source}: '${target}' is missing in row ${r + 1}`);
    return id(key);
  });
  const example = truth.raw[0] ?? "";
  const yPred = pairs.submission.map((r) => {
    const where = `column '${target}', ${rowLabel(sub, r, idColumn)}`;
    if (pred.missing[r]) throw new InvalidSubmission(`${where}: the label is missing; every row needs a class label like ${example}`);
    if (truth.kind !== "text") {
      // A text column fails as a whole (mixed label types); name its first cell that is not a label.
      const v = pred.kind === "text" ? (parseNumberCell(pred.raw[r] as string) ?? Number.NaN) : (pred.numbers[r] as number);
      if (!Number.isFinite(v) || (integral && !Number.isInteger(v))) {
        throw new InvalidSubmission(
          `${where}: ${JSON.stringify(pred.raw[r])} is not a class label; write the predicted class as an integer like ${example}, not a probability or a name`,
        );
      }
    } else if (pred.kind === "numeric" && truth.kind === "text") {
      throw new InvalidSubmission(
        `column '${target}' holds numbers but the classes are names like ${JSON.stringify(example)}; write the class names`,
      );
    }
    return id(cellKey(pred, r) as CellKey);
  });
  if (truth.kind !== "text" && pred.kind === "text") {
    const r = pred.raw.findIndex((c, i) => !pred.missing[i] && parseNumberCell(c) === undefined);
    throw new InvalidSubmission(
      `column '${target}', ${rowLabel(sub, r, idColumn)}: ${JSON.stringify(pred.raw[r])} is not a class label; write the predicted class as an integer like ${example}`,
    );
  }
  return { yTrue, yPred, labels: [...index.keys()] };
}

function accuracyGrader(idColumn: string, target: string): Grader {
  return {
    metric: "accuracy",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireRowCount(sub, answers.rowCount);
      requireColumns(sub, [idColumn, target]);
      const pairs = alignById(sub, answers, idColumn);
      const { yTrue, yPred } = labelIndices(sub, answers, target, idColumn, pairs);
      return accuracy(yTrue, yPred);
    },
  };
}

/** Quadratic weighted kappa on integer labels (the weights use label positions, so map keys back to values). */
function qwkGrader(idColumn: string, target: string): Grader {
  return {
    metric: "quadratic_weighted_kappa",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireColumns(sub, [target, idColumn]);
      if (sub.rowCount === 0) throw new InvalidSubmission("the submission has no data rows");
      const pairs = alignById(sub, answers, idColumn);
      const truth = answersNumbers(answers, target);
      if (!truth.every(Number.isInteger)) throw new AnswersError(`${answers.source}: '${target}' must hold integer labels`);
      const pred = column(sub, target);
      const yPred = pairs.submission.map((r) => {
        const v = pred.numbers[r] as number;
        if (pred.missing[r] || !Number.isInteger(v)) {
          throw new InvalidSubmission(
            `column '${target}', ${rowLabel(sub, r, idColumn)}: ${JSON.stringify(pred.raw[r])} is not an integer label; predict a whole-number score (e.g. round and clip to the label range)`,
          );
        }
        return v;
      });
      const kappa = quadraticWeightedKappa(yPred, pick(truth, pairs.answers));
      if (Number.isNaN(kappa))
        throw new InvalidSubmission(
          `kappa is undefined: predictions and answers share a single label; predict more than one '${target}' value`,
        );
      return kappa;
    },
  };
}

function pearsonGrader(idColumn: string, target: string): Grader {
  return {
    metric: "pearson",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireRowCount(sub, answers.rowCount);
      requireColumns(sub, [idColumn, target]);
      const pairs = alignById(sub, answers, idColumn);
      const pred = pick(numericColumn(sub, target, idColumn), pairs.submission);
      const r = pearson(pick(answersNumbers(answers, target), pairs.answers), pred);
      if (Number.isNaN(r)) {
        if (pred.every((v) => v === pred[0])) {
          throw new InvalidSubmission(
            `every '${target}' prediction is ${pred[0]}: Pearson r is undefined for constant predictions; predict varying scores`,
          );
        }
        throw new AnswersError(`${answers.source}: '${target}' is constant, so Pearson r is undefined`);
      }
      return r;
    },
  };
}

/** Mean word Jaccard; missing text reads as "" and a row where both sides are empty is 0/0 (invalid). */
function jaccardGrader(idColumn: string, target: string): Grader {
  return {
    metric: "word_jaccard",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      requireColumns(sub, [idColumn, target]);
      requireRowCount(sub, answers.rowCount);
      const pairs = alignById(sub, answers, idColumn);
      const predColumn = column(sub, target);
      const truthColumn = answersColumn(answers, target);
      const preds = pairs.submission.map((r) => pandasText(predColumn, r));
      const truths = pairs.answers.map((r) => pandasText(truthColumn, r));
      const undefinedAt = preds.findIndex((p, i) => Number.isNaN(wordJaccard(p, truths[i] as string)));
      if (undefinedAt >= 0) {
        throw new InvalidSubmission(
          `column '${target}', ${rowLabel(sub, pairs.submission[undefinedAt] as number, idColumn)}: the prediction is empty and so is the answer, which makes Jaccard 0/0; predict at least one word (e.g. the whole text) in every row`,
        );
      }
      return meanWordJaccard(preds, truths);
    },
  };
}

type ColumnRule =
  /** set(columns) == {id} ∪ classes (leaf-classification) */
  | "exact"
  /** exactly 1 + k columns, id first: row sums use every column but the first (spooky-author-identification) */
  | "shape"
  /** id and the classes present; extra columns ignored (lmsys-chatbot-arena) */
  | "superset";
type SumRule = "isclose" | "round6";

interface LogLossOptions {
  idColumn: string;
  /** The class columns; undefined: every answers column except the id, in the answers' order. */
  classes?: readonly string[];
  columns: ColumnRule;
  sums: SumRule;
}

/** numpy.isclose(sum, 1, atol=1e-6) with numpy's default rtol=1e-5: |sum - 1| <= 1e-6 + 1e-5. */
function closeToOne(sum: number): boolean {
  return Math.abs(sum - 1) <= 1e-6 + 1e-5 * 1;
}

/** numpy's round half to even. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** pandas `sum.round(6) == 1`: numpy rounds by rint(x * 1e6) / 1e6. */
function roundsToOne(sum: number): boolean {
  return rint(sum * 1e6) / 1e6 === 1;
}

function logLossGrader(opts: LogLossOptions): Grader {
  const { idColumn } = opts;
  return {
    metric: "multiclass_log_loss",
    idColumn,
    rowsMatchedBy: "id",
    grade(sub, answers) {
      const classes = opts.classes ?? answers.header.filter((c) => c !== idColumn);
      for (const c of [idColumn, ...classes]) answersColumn(answers, c);
      if (opts.columns === "exact") {
        requireExactColumns(sub, [idColumn, ...classes]);
        requireRowCount(sub, answers.rowCount);
      } else if (opts.columns === "shape") {
        requireRowCount(sub, answers.rowCount);
        if (sub.header.length !== classes.length + 1 || sub.header[0] !== idColumn) {
          throw new InvalidSubmission(
            `the submission's header must be '${idColumn}' followed by the ${classes.length} class columns (${classes.join(", ")}), and nothing else; it is ${sub.header.join(", ")}`,
          );
        }
        requireColumns(sub, [idColumn, ...classes]);
      } else {
        requireColumns(sub, [idColumn, ...classes]);
        requireRowCount(sub, answers.rowCount);
      }
      // Which columns make a row's sum: the classes, in the order MLE-bench adds them.
      const sumColumns = opts.columns === "shape" ? sub.header.slice(1) : classes;
      const probs = new Map(classes.map((c) => [c, numericColumn(sub, c, idColumn)]));
      const checkRange = () => {
        for (const c of classes) requireInRange(sub, c, probs.get(c) as number[], 0, 1, idColumn, PROBABILITY);
      };
      const checkSums = () => {
        for (let i = 0; i < sub.rowCount; i++) {
          let s = 0;
          for (const c of sumColumns) s += (probs.get(c) as number[])[i] as number;
          const ok = opts.sums === "isclose" ? closeToOne(s) : roundsToOne(s);
          if (!ok) {
            const rule = opts.sums === "isclose" ? "within 1e-5 of 1" : "1 when rounded to 6 decimals";
            throw new InvalidSubmission(
              `${rowLabel(sub, i, idColumn)}: the probabilities sum to ${s}, not ${rule}; normalise each row (divide by its sum)`,
            );
          }
        }
      };
      if (opts.sums === "round6") {
        checkRange();
        checkSums();
      } else {
        checkSums();
        checkRange();
      }
      const pairs = alignById(sub, answers, idColumn);
      const truthCols = classes.map((c) => answersNumbers(answers, c));
      const yTrue = pairs.answers.map((r) => truthCols.map((col) => col[r] as number));
      const predCols = classes.map((c) => probs.get(c) as number[]);
      const yPred = pairs.submission.map((r) => predCols.map((col) => col[r] as number));
      return multiclassLogLoss(yTrue, yPred);
    },
  };
}

/** Mean column RMSLE with rows compared by position (nomad2018 keeps test.csv's order and ignores ids). */
function positionalRmsle(targets: readonly string[], idColumn?: string): Grader {
  return {
    metric: "mean_column_rmsle",
    idColumn,
    rowsMatchedBy: "position",
    grade(sub, answers) {
      requireColumns(sub, targets);
      requireRowCount(sub, answers.rowCount);
      const predCols = targets.map((t) => {
        const values = numericColumn(sub, t, idColumn);
        const neg = values.findIndex((v) => v < 0);
        if (neg >= 0) {
          throw new InvalidSubmission(
            `column '${t}', ${rowLabel(sub, neg, idColumn)}: ${column(sub, t).raw[neg]} is negative; RMSLE needs predictions >= 0 (clip them at 0)`,
          );
        }
        return values;
      });
      const score = meanColumnRmsle(
        targets.map((t) => answersNumbers(answers, t)),
        predCols,
      );
      if (Number.isNaN(score)) throw new AnswersError(`${answers.source}: a target is <= -1, so RMSLE is undefined`);
      return score;
    },
  };
}

/** The graders of the competitions mlerl knows, keyed by competition id (as in MLE-bench's registry). */
export const GRADERS: Readonly<Record<string, Grader>> = {
  "detecting-insults-in-social-commentary": binaryAuc("Comment", "Insult"),
  "learning-agency-lab-automated-essay-scoring-2": qwkGrader("essay_id", "score"),
  "random-acts-of-pizza": binaryAuc("request_id", "requester_received_pizza"),
  "tweet-sentiment-extraction": jaccardGrader("textID", "selected_text"),
  "tabular-playground-series-may-2022": binaryAuc("id", "target"),
  "tabular-playground-series-dec-2021": accuracyGrader("Id", "Cover_Type"),
  "us-patent-phrase-to-phrase-matching": pearsonGrader("id", "score"),
  "plant-pathology-2020-fgvc7": meanColumnAuc("image_id", ["healthy", "multiple_diseases", "rust", "scab"]),
  "leaf-classification": logLossGrader({ idColumn: "id", columns: "exact", sums: "isclose" }),
  "nomad2018-predict-transparent-conductors": positionalRmsle(["formation_energy_ev_natom", "bandgap_energy_ev"], "id"),
  "spooky-author-identification": logLossGrader({ idColumn: "id", classes: ["EAP", "HPL", "MWS"], columns: "shape", sums: "isclose" }),
  "lmsys-chatbot-arena": logLossGrader({
    idColumn: "id",
    classes: ["winner_model_a", "winner_model_b", "winner_tie"],
    columns: "superset",
    sums: "round6",
  }),
};

/**
 * A grader for a competition MLE-bench does not cover, built from the task spec's metric and columns with the
 * common MLE-bench rules (id matching, [0, 1] probabilities, rows summing to 1).
 */
export function genericGrader(spec: TaskSpec): Grader {
  const [, ...targets] = spec.submissionColumns;
  const first = targets[0] as string;
  switch (spec.metric) {
    case "roc_auc":
      return binaryAuc(spec.idColumn, first);
    case "mean_column_roc_auc":
      return meanColumnAuc(spec.idColumn, targets);
    case "accuracy":
      return accuracyGrader(spec.idColumn, first);
    case "multiclass_log_loss":
      return logLossGrader({ idColumn: spec.idColumn, classes: targets, columns: "superset", sums: "isclose" });
    case "mean_column_rmsle":
      return positionalRmsle(targets, spec.idColumn);
    case "quadratic_weighted_kappa":
      return qwkGrader(spec.idColumn, first);
    case "pearson":
      return pearsonGrader(spec.idColumn, first);
    case "word_jaccard":
      return jaccardGrader(spec.idColumn, first);
  }
}

/** The grader for a task: its competition's, or one built from its spec. */
export function graderFor(spec: TaskSpec): Grader {
  return GRADERS[spec.competition] ?? genericGrader(spec);
}
