import type { TaskSpec } from "../../core/task.js";

export interface PrepareDirs {
  publicDir: string;
  privateDir: string;
}

/**
 * A built-in mini task: a spec plus a deterministic generator of its prepared files. Same seed, same bytes:
 * the generator must depend on nothing but the seed and data shipped with the repo or an installed package.
 */
export interface BuiltinTask {
  spec: TaskSpec;
  /** Bump when generated data changes, so prepared dirs from an older version are regenerated. */
  version: number;
  generate(dirs: PrepareDirs, seed: number): Promise<void> | void;
}

/**
 * The file layout every built-in task shares with its real competition: public train/test/sample submission
 * beside description.md, answers in private/test.csv.
 */
export function standardFiles(): Pick<TaskSpec, "publicFiles" | "answersFile" | "sampleSubmissionFile"> {
  return {
    publicFiles: ["description.md", "train.csv", "test.csv", "sample_submission.csv"],
    answersFile: "test.csv",
    sampleSubmissionFile: "sample_submission.csv",
  };
}
