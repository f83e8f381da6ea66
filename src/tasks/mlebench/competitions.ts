import type { DataSchema, TaskSpec } from "../../core/task.js";
import { tpsMay2022 } from "../builtin/tabular/tps-may-2022.js";
import { tpsDec2021 } from "../builtin/tabular/tps-dec-2021.js";
import { nomad2018 } from "../builtin/tabular/nomad2018.js";
import { leafClassification } from "../builtin/tabular/leaf-classification.js";
import { spooky } from "../builtin/text/spooky.js";
import { tweets } from "../builtin/text/tweets.js";

/**
 * The 12 competitions of the paper as MLE-bench prepares them. Thresholds are the provisional table computed from
 * MLE-bench's leaderboards; a leaderboard.csv next to the prepared data replaces them. The description here is a
 * placeholder: the real one is public/description.md once prepared.
 */
type Static = Omit<TaskSpec, "source" | "description" | "competition">;

/** The real competitions share the built-in minis' columns; only the row counts differ. */
function realSchema(schema: DataSchema | undefined, trainRows: number, testRows: number): DataSchema | undefined {
  return schema ? { ...schema, trainRows, testRows } : undefined;
}

const csv3 = (sample = "sample_submission.csv") => ["description.md", "train.csv", "test.csv", sample];

const STATIC: Static[] = [
  {
    id: "detecting-insults-in-social-commentary",
    title: "Detecting Insults in Social Commentary",
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "Comment",
    submissionColumns: ["Insult", "Date", "Comment"],
    publicFiles: csv3("sample_submission_null.csv"),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission_null.csv",
    thresholds: { gold: 0.83321, silver: 0.82307, bronze: 0.79111, median: 0.77842 },
  },
  {
    id: "learning-agency-lab-automated-essay-scoring-2",
    title: "Learning Agency Lab - Automated Essay Scoring 2.0",
    metric: "quadratic_weighted_kappa",
    lowerIsBetter: false,
    idColumn: "essay_id",
    submissionColumns: ["essay_id", "score"],
    publicFiles: csv3(),
    answersFile: "answers.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.83583, silver: 0.83518, bronze: 0.83471, median: 0.82827 },
  },
  {
    id: "random-acts-of-pizza",
    title: "Random Acts of Pizza",
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "request_id",
    submissionColumns: ["request_id", "requester_received_pizza"],
    publicFiles: ["description.md", "train.json", "test.json", "sampleSubmission.csv"],
    answersFile: "test.csv",
    sampleSubmissionFile: "sampleSubmission.csv",
    thresholds: { gold: 0.97908, silver: 0.76482, bronze: 0.6921, median: 0.5996 },
  },
  {
    id: "tweet-sentiment-extraction",
    title: "Tweet Sentiment Extraction",
    metric: "word_jaccard",
    lowerIsBetter: false,
    idColumn: "textID",
    submissionColumns: ["textID", "selected_text"],
    publicFiles: csv3(),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.72689, silver: 0.71752, bronze: 0.71705, median: 0.71378 },
    schema: realSchema(tweets.spec.schema, 24_732, 2_749),
  },
  {
    id: "tabular-playground-series-may-2022",
    title: "Tabular Playground Series - May 2022",
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "id",
    submissionColumns: ["id", "target"],
    publicFiles: csv3(),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.99823, silver: 0.99822, bronze: 0.99818, median: 0.97267 },
    schema: realSchema(tpsMay2022.spec.schema, 800_000, 100_000),
  },
  {
    id: "tabular-playground-series-dec-2021",
    title: "Tabular Playground Series - Dec 2021",
    metric: "accuracy",
    lowerIsBetter: false,
    idColumn: "Id",
    submissionColumns: ["Id", "Cover_Type"],
    publicFiles: csv3(),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.9566, silver: 0.95658, bronze: 0.95658, median: 0.95342 },
    schema: realSchema(tpsDec2021.spec.schema, 3_600_000, 400_000),
  },
  {
    id: "us-patent-phrase-to-phrase-matching",
    title: "U.S. Patent Phrase to Phrase Matching",
    metric: "pearson",
    lowerIsBetter: false,
    idColumn: "id",
    submissionColumns: ["id", "score"],
    publicFiles: csv3(),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.87, silver: 0.863, bronze: 0.8616, median: 0.851 },
  },
  {
    id: "plant-pathology-2020-fgvc7",
    title: "Plant Pathology 2020 - FGVC7",
    metric: "mean_column_roc_auc",
    lowerIsBetter: false,
    idColumn: "image_id",
    submissionColumns: ["image_id", "healthy", "multiple_diseases", "rust", "scab"],
    publicFiles: [...csv3(), "images/"],
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.97836, silver: 0.97465, bronze: 0.97361, median: 0.94852 },
  },
  {
    id: "leaf-classification",
    title: "Leaf Classification",
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: leafClassification.spec.submissionColumns,
    publicFiles: [...csv3(), "images/"],
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.0, silver: 0.00791, bronze: 0.01526, median: 0.10834 },
    schema: realSchema(leafClassification.spec.schema, 891, 99),
  },
  {
    id: "nomad2018-predict-transparent-conductors",
    title: "Nomad2018 Predicting Transparent Conductors",
    metric: "mean_column_rmsle",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "formation_energy_ev_natom", "bandgap_energy_ev"],
    publicFiles: [...csv3(), "train/", "test/"],
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.05589, silver: 0.06229, bronze: 0.06582, median: 0.06988 },
    schema: realSchema(nomad2018.spec.schema, 2160, 240),
  },
  {
    id: "spooky-author-identification",
    title: "Spooky Author Identification",
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "EAP", "HPL", "MWS"],
    publicFiles: csv3(),
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.16506, silver: 0.26996, bronze: 0.29381, median: 0.41879 },
    schema: realSchema(spooky.spec.schema, 17_621, 1_958),
  },
  {
    id: "lmsys-chatbot-arena",
    title: "LMSYS - Chatbot Arena Human Preference Predictions",
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "winner_model_a", "winner_model_b", "winner_tie"],
    publicFiles: csv3(),
    answersFile: "answers.csv",
    sampleSubmissionFile: "sample_submission.csv",
    thresholds: { gold: 0.98392, silver: 0.99277, bronze: 1.00283, median: 1.05212 },
  },
];

function placeholderDescription(s: Static): string {
  return `# ${s.title}\n\nMLE-bench competition \`${s.id}\` (not prepared here yet: its description is read from public/description.md once \`mlebench prepare -c ${s.id}\` has written it).\n`;
}

/** Specs of the MLE-bench competitions before their prepared files are read. */
export const MLEBENCH_COMPETITIONS: readonly TaskSpec[] = STATIC.map((s) => {
  const { schema, ...rest } = s;
  return { ...rest, ...(schema ? { schema } : {}), competition: s.id, source: "mlebench", description: placeholderDescription(s) };
});

export const MLEBENCH_IDS: readonly string[] = MLEBENCH_COMPETITIONS.map((c) => c.id);
