import type { TaskSpec } from "../../src/tasks/spec.js";

const base = {
  source: "builtin" as const,
  description: "fixture",
  publicFiles: ["train.csv", "test.csv", "sample_submission.csv", "description.md"],
  answersFile: "test.csv",
  sampleSubmissionFile: "sample_submission.csv",
};
const col = (name: string, role: "id" | "numeric" | "categorical" | "text" | "target" | "aux") => ({ name, role, files: ["train.csv"] });

/** Task specs shaped like the built-in tasks (binary, multiclass accuracy, log loss, text log loss, two targets, span). */
export const FIXTURE_TASKS: TaskSpec[] = [
  {
    ...base, id: "fx-binary", competition: "tabular-playground-series-may-2022", title: "binary", metric: "roc_auc", lowerIsBetter: false,
    idColumn: "id", submissionColumns: ["id", "target"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "binary", classes: ["0", "1"], trainRows: 4000,
      columns: [col("id", "id"), col("f_00", "numeric"), col("f_01", "numeric"), col("f_27", "categorical"), col("target", "target")] },
  },
  {
    ...base, id: "fx-multiclass", competition: "tabular-playground-series-dec-2021", title: "multiclass", metric: "accuracy", lowerIsBetter: false,
    idColumn: "Id", submissionColumns: ["Id", "Cover_Type"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "multiclass", classes: ["1", "2", "3"], trainRows: 5000,
      columns: [col("Id", "id"), col("Elevation", "numeric"), col("Slope", "numeric"), col("Cover_Type", "target")] },
  },
  {
    ...base, id: "fx-leaf", competition: "leaf-classification", title: "log loss", metric: "multiclass_log_loss", lowerIsBetter: true,
    idColumn: "id", submissionColumns: ["id", "Acer", "Quercus"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "multiclass", classes: ["Acer", "Quercus"], trainRows: 800,
      columns: [col("id", "id"), col("margin1", "numeric"), col("shape1", "numeric"), col("species", "target")] },
  },
  {
    ...base, id: "fx-spooky", competition: "spooky-author-identification", title: "text", metric: "multiclass_log_loss", lowerIsBetter: true,
    idColumn: "id", submissionColumns: ["id", "EAP", "HPL", "MWS"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "multiclass", classes: ["EAP", "HPL", "MWS"], trainRows: 3000,
      columns: [col("id", "id"), col("text", "text"), col("author", "target")] },
  },
  {
    ...base, id: "fx-nomad", competition: "nomad2018-predict-transparent-conductors", title: "two targets", metric: "mean_column_rmsle", lowerIsBetter: true,
    idColumn: "id", submissionColumns: ["id", "formation_energy_ev_natom", "bandgap_energy_ev"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "multi_regression", trainRows: 2000,
      columns: [col("id", "id"), col("spacegroup", "categorical"), col("percent_atom_al", "numeric"), col("formation_energy_ev_natom", "target"), col("bandgap_energy_ev", "target")] },
  },
  {
    ...base, id: "fx-tweet", competition: "tweet-sentiment-extraction", title: "span", metric: "word_jaccard", lowerIsBetter: false,
    idColumn: "textID", submissionColumns: ["textID", "selected_text"],
    schema: { trainFile: "train.csv", testFile: "test.csv", targetKind: "span", trainRows: 3000,
      columns: [col("textID", "id"), col("text", "text"), col("sentiment", "categorical"), col("selected_text", "target")] },
  },
];
