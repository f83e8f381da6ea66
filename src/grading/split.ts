import { createHash } from "node:crypto";
import { z } from "zod";
import { SplitConfig } from "../core/config.js";
import type { TaskSpec } from "../core/task.js";
import { UserError } from "../errors.js";
import { AnswersError, answersColumn } from "./answers.js";
import { cellKey, type Table, type TableColumn } from "./table.js";

/**
 * A task's answers split in two, as Kaggle splits a test set into a public and a private leaderboard: the
 * reward split is the only one a training reward or any score-driven choice may see, the report split the only
 * one a report may show. A row's part depends on nothing but the task id, the salt and the row's id, so the split
 * is the same on every machine, for every run with the same settings, and rows with the same id share a part.
 */
/** How answers are split (the run config's SplitConfig without what the reward is computed on). */
export const SplitSettings = SplitConfig.pick({ reportFraction: true, salt: true });
export type SplitSettings = z.infer<typeof SplitSettings>;

export const DEFAULT_SPLIT: SplitSettings = SplitSettings.parse({});

export type SplitPart = "reward" | "report";

export interface AnswersSplit {
  taskId: string;
  /** The answers column the split hashes. */
  idColumn: string;
  settings: SplitSettings;
  /** 0-based data rows of the answers file in each part, in file order. */
  reward: number[];
  report: number[];
  /** The id text of every answer row (same order as the file), as hashed. */
  ids: string[];
}

/**
 * Where an id falls in [0, 1): the first 53 bits of sha256(task id, salt, id) as a fraction. Rows with
 * fraction < reportFraction form the report split.
 */
export function splitFraction(taskId: string, salt: string, id: string): number {
  const digest = createHash("sha256").update(`${taskId}\u0000${salt}\u0000${id}`, "utf8").digest();
  return Number(digest.readBigUInt64BE(0) >> 11n) / 2 ** 53;
}

/**
 * The id of a row as one string, whatever way the file writes it: numbers by value (7, "7.0" and "7e0" are the
 * same id, as they are to the graders), text as written.
 */
export function idText(column: TableColumn, row: number): string | undefined {
  const key = cellKey(column, row);
  if (key === undefined) return undefined;
  if (typeof key === "number") return String(key);
  return column.kind === "text" ? key : key.replace(/^int:/, "");
}

function checkedSettings(opts: Partial<SplitSettings>): SplitSettings {
  const parsed = SplitSettings.safeParse({ ...DEFAULT_SPLIT, ...opts });
  if (!parsed.success) {
    const fraction = opts.reportFraction;
    throw new UserError(
      `the report fraction of the answers split must be strictly between 0 and 1${fraction === undefined ? "" : `, got ${fraction}`}`,
      "e.g. --report-fraction 0.5 (half of the test ids are held out for reports)",
    );
  }
  return parsed.data;
}

/** Split a task's answers by the hash of its id column. Throws UserError when a part would be empty. */
export function splitIds(spec: TaskSpec, answers: Table, opts: Partial<SplitSettings> = {}): AnswersSplit {
  const settings = checkedSettings(opts);
  const column = answersColumn(answers, spec.idColumn);
  const reward: number[] = [];
  const report: number[] = [];
  const ids: string[] = [];
  for (let r = 0; r < answers.rowCount; r++) {
    const id = idText(column, r);
    if (id === undefined) throw new AnswersError(`${answers.source}: row ${r + 1} has no ${spec.idColumn}`);
    ids.push(id);
    (splitFraction(spec.id, settings.salt, id) < settings.reportFraction ? report : reward).push(r);
  }
  for (const [part, rows] of [
    ["reward", reward],
    ["report", report],
  ] as const) {
    if (rows.length === 0) {
      throw new UserError(
        `the answers split of ${spec.id} leaves no rows in the ${part} split (${answers.rowCount} answer rows, report fraction ${settings.reportFraction})`,
        answers.rowCount < 2
          ? "the task needs at least two test ids to be split"
          : "use a report fraction nearer 0.5 or another split salt",
      );
    }
  }
  return { taskId: spec.id, idColumn: spec.idColumn, settings, reward, report, ids };
}

/** The ids in each part (ids repeated in the answers are listed once per row). */
export function splitIdLists(split: AnswersSplit): Record<SplitPart, string[]> {
  return { reward: split.reward.map((r) => split.ids[r] as string), report: split.report.map((r) => split.ids[r] as string) };
}
