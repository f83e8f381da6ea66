import { z } from "zod";

/**
 * Flaws of a task that a reader of its scores must know: a label that leaks into the agent's files, or a
 * leaderboard whose medal thresholds sit so close together that they say little. `tasks show` prints them and
 * every report that includes the task should carry the note.
 */
export const KnownIssue = z.object({
  kind: z.enum(["label-leak", "crowded-leaderboard"]),
  /** One sentence: what is wrong. */
  summary: z.string(),
  /** Where the flaw is documented. */
  source: z.string(),
  /** What mlerl does about it. */
  handling: z.string(),
  /** A label leak mlerl removes: the field and the public files it is removed from. */
  leakyField: z.object({ name: z.string(), files: z.array(z.string()) }).optional(),
});
export type KnownIssue = z.infer<typeof KnownIssue>;

/** Set to 1 to give the agent a leaking field anyway (to reproduce MLE-bench's own setting). */
export const KEEP_LEAKY_ENV = "MLERL_KEEP_LEAKY_COLUMNS";

const crowded = (median: string): KnownIssue => ({
  kind: "crowded-leaderboard",
  summary: `the leaderboard is crowded: the gold, silver and bronze thresholds are almost equal and the median is ${median} below gold, so medals and above-median barely separate entries`,
  source: 'MLE-bench README, "Known Issues"',
  handling: "none: scores are graded as MLE-bench grades them; compare the scores themselves rather than the medals",
});

const ISSUES: Readonly<Record<string, readonly KnownIssue[]>> = {
  "random-acts-of-pizza": [
    {
      kind: "label-leak",
      summary: '`giver_username_if_known` leaks the label: it names the giver of a request that received a pizza and is "N/A" otherwise',
      source: 'MLE-bench issue #108 ("should be dropped")',
      handling: `dropped from train.json and test.json in the files the agent sees (the zipped copies are left out); set ${KEEP_LEAKY_ENV}=1 to keep it`,
      leakyField: { name: "giver_username_if_known", files: ["train.json", "test.json"] },
    },
  ],
  "tabular-playground-series-may-2022": [crowded("0.026")],
  "tabular-playground-series-dec-2021": [crowded("0.003")],
};

/** The known issues of a task (empty for most). */
export function knownIssues(taskId: string): readonly KnownIssue[] {
  return ISSUES[taskId] ?? [];
}

/**
 * The issues of a task as one line per issue for a report, e.g. "random-acts-of-pizza: label leak — ... (source);
 * ...". Empty when the task has none.
 */
export function knownIssueLines(taskId: string): string[] {
  return knownIssues(taskId).map((i) => `${taskId}: ${i.kind.replace("-", " ")}: ${i.summary} (${i.source}); ${i.handling}`);
}

/** Whether a leaking field is to be kept in the agent's files (MLERL_KEEP_LEAKY_COLUMNS=1). */
export function keepLeakyFields(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[KEEP_LEAKY_ENV] === "1";
}
