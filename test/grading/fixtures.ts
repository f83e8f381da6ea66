import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatCsv, type Cell } from "../../src/io/csv.js";
import { TaskSpec, type MetricName, type TaskPaths, type Thresholds } from "../../src/core/task.js";

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A temporary data dir (removed when the test process exits), to be laid out like MLE-bench's. */
export function makeDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-grading-"));
  made.push(dir);
  return dir;
}

export function taskPaths(dataDir: string, id: string): TaskPaths {
  const root = join(dataDir, id, "prepared");
  const paths = { root, publicDir: join(root, "public"), privateDir: join(root, "private") };
  mkdirSync(paths.publicDir, { recursive: true });
  mkdirSync(paths.privateDir, { recursive: true });
  return paths;
}

export interface CompetitionFacts {
  metric: MetricName;
  lowerIsBetter: boolean;
  idColumn: string;
  submissionColumns: string[];
  answersFile: string;
}

export function makeSpec(competition: string, facts: CompetitionFacts, thresholds?: Thresholds, id = competition): TaskSpec {
  return TaskSpec.parse({
    id,
    competition,
    source: "mlebench",
    title: competition,
    description: `# ${competition}`,
    metric: facts.metric,
    lowerIsBetter: facts.lowerIsBetter,
    idColumn: facts.idColumn,
    submissionColumns: facts.submissionColumns,
    publicFiles: ["description.md", "sample_submission.csv"],
    answersFile: facts.answersFile,
    sampleSubmissionFile: "sample_submission.csv",
    thresholds,
  });
}

export interface CsvData {
  header: string[];
  rows: Cell[][];
}

export function writeCsvFile(path: string, data: CsvData): string {
  writeFileSync(path, formatCsv(data.header, data.rows));
  return path;
}
