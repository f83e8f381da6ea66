/**
 * The JSON the dashboard's server answers and its page reads: plain types only, so the browser bundle imports
 * nothing else of mlerl. Every string in here may come from an agent program and is shown as text.
 */
import type { RolloutRecord } from "../core/rollout.js";

export type RunStatus = "running" | "stopped" | "done" | "unreadable";

export interface TaskBestView {
  taskId: string;
  /** The best report-split score of the run's own rollouts on the task (as `mlerl report`'s training table). */
  best: number | null;
  /** The medal that score earns, when the task has thresholds. */
  medal: string | null;
  lowerIsBetter: boolean;
}

export interface RunRow {
  id: string;
  dir: string;
  name: string;
  method: string;
  label: string | null;
  status: RunStatus;
  /** Why the status is what it is, in a few words. */
  statusNote: string;
  tasks: string[];
  rollouts: number;
  running: number;
  updates: number;
  minutes: number | null;
  best: TaskBestView[];
  /** Whether the run has search trees (an AIDE-style or random-search baseline). */
  search: boolean;
  /** The executors as the run last recorded them (a job queue's depth and workers), or null. */
  executors: string | null;
  evaluated: boolean;
  /** Missing, corrupt or old data: shown as a message, never a crash. */
  problems: string[];
  notes: string[];
}

export interface RunsResponse {
  runs: RunRow[];
  /** Directories given that hold no readable run. */
  missing: { dir: string; message: string }[];
  reports: { id: string; dir: string }[];
}

export interface XY {
  x: number[];
  y: number[];
}

export interface SeriesSet {
  /** One line per run (by run id), x in rollouts or minutes. */
  name: string;
  runId: string;
  points: XY;
}

export interface CurvesResponse {
  runIds: string[];
  /** Moving averages over finished rollouts (the report's reward and valid-share series). */
  reward: { byRollout: SeriesSet[]; byMinute: SeriesSet[] };
  valid: { byRollout: SeriesSet[]; byMinute: SeriesSet[] };
  /** Mean Δt of sampled programs in windows of rollouts (the report's duration series). */
  dt: { byRollout: SeriesSet[]; byMinute: SeriesSet[] };
  /** Share of the run's executors busy, per time bucket. */
  utilisation: SeriesSet[];
  /** Per update (x: policy version), from the stored update stats. */
  updates: {
    staleness: SeriesSet[];
    stalenessMax: SeriesSet[];
    kl: SeriesSet[];
    clipFraction: SeriesSet[];
    meanReward: SeriesSet[];
    /** Duration weights of each update: min, mean and max. */
    weightMin: SeriesSet[];
    weightMax: SeriesSet[];
    weightMean: SeriesSet[];
  };
  /** The report's best-so-far lines (Figure 7), per task: minutes against the report-split score. */
  bestSoFar: { taskId: string; lowerIsBetter: boolean; lines: { name: string; mean: boolean; points: XY }[] }[];
  notes: string[];
}

export interface RolloutRow {
  id: number;
  taskId: string;
  kind: string;
  parentId: number | null;
  policyVersion: number;
  status: string;
  outcome: string;
  milestones: string[];
  reward: number | null;
  /** The report-split score, when valid. */
  score: number | null;
  dt: number | null;
  worker: string | null;
  step: string | null;
  problem: string | null;
}

export interface RolloutsResponse {
  rows: RolloutRow[];
  total: number;
  offset: number;
  limit: number;
  facets: { tasks: string[]; workers: string[]; steps: string[]; outcomes: string[]; sorts: string[] };
}

export interface SiteView {
  /** The site's marker goes after this original line (0: before line 1). */
  after: number;
  kind: string;
  value: string | null;
}

export interface TextFile {
  text: string;
  /** Bytes on disk; the text is cut after `shownBytes`. */
  bytes: number;
  truncated: boolean;
  missing: boolean;
}

export interface OutputMark {
  /** 1-based line of the shown text the mark sits before (credited markers were stripped from the stored text). */
  line: number;
  kind: "credited" | "rejected";
  label: string;
}

export interface DiffLine {
  op: "same" | "add" | "del";
  text: string;
  /** Line numbers in the parent (old) and this program (new). */
  a: number | null;
  b: number | null;
}

export interface RolloutResponse {
  runId: string;
  id: number;
  taskId: string;
  kind: string;
  status: string;
  policyVersion: number;
  parentId: number | null;
  childIds: number[];
  startedAt: number;
  finishedAt: number | null;
  problem: string | null;
  /** The prompt an LM policy was given, when the run stored it. */
  prompt: string | null;
  program: TextFile;
  sites: { placed: SiteView[]; source: string };
  stdout: TextFile;
  stderr: TextFile;
  marks: OutputMark[];
  /** The record as stored (execution, grade, scores, instrumentation, reward breakdown, feedback, search step). */
  record: RolloutRecord | null;
  reportScore: number | null;
  update: { version: number; weight: number | null; advantage: number | null } | null;
  parent: { id: number; diff: DiffLine[] } | null;
}

export interface TreeNode {
  rolloutId: number;
  node: number | null;
  parentId: number | null;
  step: string;
  outcome: string;
  validationMetric: number | null;
  reportScore: number | null;
  dt: number | null;
}

export interface TreesResponse {
  trees: { taskId: string; seed: number; nodes: TreeNode[] }[];
}

export interface ReportResponse {
  /** report.md files found for the run (its own report/ dir, or the report dir of the folder it sits in). */
  reports: { dir: string; id: string; markdown: string; images: string[] }[];
  evaluation: {
    taskId: string;
    metric: string;
    lowerIsBetter: boolean;
    mean: number | null;
    std: number | null;
    validRate: number;
    attempts: {
      seed: number;
      sample: number;
      selected: string | null;
      testScore: number | null;
      validationMetric: number | null;
      valid: boolean;
      medal: string | null;
      wallSec: number;
    }[];
  }[];
  /** The test-time executions (scratch and improve) with which was kept, when the run stored them. */
  testTime: { id: number; taskId: string; kind: string; outcome: string; validationMetric: number | null; reportScore: number | null }[];
  notes: string[];
}
