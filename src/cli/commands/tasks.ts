import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { dataDirOf } from "../options.js";
import { getTask, listTasks, prepareTasks, taskPaths, BUILTIN_TASK_IDS } from "../../tasks/registry.js";
import { leaderboardPath } from "../../tasks/mlebench/load.js";
import { AGENT_VIEW_DIR } from "../../tasks/mlebench/agent-view.js";
import { keepLeakyFields, knownIssues } from "../../tasks/known-issues.js";
import { DEFAULT_SPLIT, splitIdLists, splitTask, type AnswersSplit } from "../../grading/index.js";
import { isUserError, UserError } from "../../errors.js";
import type { TaskPaths, TaskSpec } from "../../core/task.js";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

function filesIn(dir: string): { name: string; bytes: number | null }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => !n.startsWith("."))
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return st.isDirectory() ? { name: `${name}/`, bytes: null } : { name, bytes: st.size };
    });
}

export function defineTasks(tasks: Command): void {
  tasks
    .command("list")
    .description("list every known task with its metric, direction and whether it is prepared under the data dir")
    .option("--json", "print a JSON array instead of a table")
    .action((opts: { json?: boolean }, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const rows = listTasks(dataDir).map((t) => ({
        id: t.spec.id,
        source: t.source,
        metric: t.spec.metric,
        lower_is_better: t.spec.lowerIsBetter,
        prepared: t.prepared,
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        table(
          ["id", "source", "metric", "lower_is_better", "prepared"],
          rows.map((r) => [r.id, r.source, r.metric, String(r.lower_is_better), r.prepared ? "yes" : "no"]),
        ),
      );
      process.stdout.write(`data dir: ${dataDir}\n`);
    });

  tasks
    .command("prepare")
    .description("generate built-in mini tasks into the data dir (deterministic; already prepared tasks are skipped)")
    .argument("[ids...]", `built-in task ids (default: all: ${BUILTIN_TASK_IDS.join(", ")})`)
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      await prepareTasks(ids, dataDir, (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`prepared under ${dataDir}\n`);
    });

  tasks
    .command("show")
    .description(
      "show a task's spec, where its files live, which files it has, its medal thresholds, known issues and how its test answers split into the reward and report parts (--json lists the ids of each part)",
    )
    .argument("<id>", "task id (see `mlerl tasks list`)")
    .option("--json", "print the spec, paths, known issues and the answers split (with the ids in each part) as JSON")
    .option(
      "--report-fraction <f>",
      `share of test ids in the report split, strictly between 0 and 1 (default ${DEFAULT_SPLIT.reportFraction})`,
    )
    .option("--split-salt <s>", `salt of the answers split; another salt draws another split (default ${DEFAULT_SPLIT.salt})`)
    .action((id: string, opts: { json?: boolean; reportFraction?: string; splitSalt?: string }, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const spec = getTask(id, dataDir);
      const paths = taskPaths(id, dataDir);
      const listing = listTasks(dataDir).find((t) => t.spec.id === id);
      const prepared = listing?.prepared ?? false;
      const files = { public: filesIn(paths.publicDir), private: filesIn(paths.privateDir) };
      const leaderboard = spec.source === "mlebench" ? leaderboardPath(paths) : undefined;
      const issues = knownIssues(id);
      const agentDir = agentDirOf(spec, paths);
      const splitOpts = {
        ...(opts.reportFraction === undefined ? {} : { reportFraction: fractionFlag(opts.reportFraction) }),
        ...(opts.splitSalt === undefined ? {} : { salt: opts.splitSalt }),
      };
      let split: AnswersSplit | undefined;
      let splitError: string | null = null;
      if (!prepared) splitError = "the task is not prepared, so its answers cannot be split yet";
      else {
        try {
          split = splitTask(spec, paths, splitOpts);
        } catch (e) {
          if (!isUserError(e)) throw e; // the flags were checked: this is the state of the answers
          splitError = e.message;
        }
      }
      if (opts.json) {
        const ids = split ? splitIdLists(split) : undefined;
        const splitJson =
          split && ids
            ? {
                report_fraction: split.settings.reportFraction,
                salt: split.settings.salt,
                id_column: split.idColumn,
                counts: { reward: ids.reward.length, report: ids.report.length },
                reward_ids: ids.reward,
                report_ids: ids.report,
              }
            : null;
        process.stdout.write(
          `${JSON.stringify(
            {
              spec,
              paths,
              prepared,
              files,
              leaderboard: leaderboard ?? null,
              known_issues: issues,
              agent_public_dir: agentDir,
              split: splitJson,
              split_error: splitError,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      const t = spec.thresholds;
      const count = (n: number) => n.toLocaleString("en-US");
      const out = [
        `${spec.id} — ${spec.title}`,
        `source:       ${spec.source} (competition ${spec.competition})`,
        `metric:       ${spec.metric} (${spec.lowerIsBetter ? "lower" : "higher"} is better)`,
        `submission:   ${spec.submissionColumns.length <= 8 ? spec.submissionColumns.join(", ") : `${spec.submissionColumns.slice(0, 6).join(", ")}, ... (${spec.submissionColumns.length} columns)`}; id column ${spec.idColumn}`,
        `sample:       ${spec.sampleSubmissionFile}; answers: private/${spec.answersFile}`,
        t
          ? `thresholds:   gold ${t.gold}  silver ${t.silver}  bronze ${t.bronze}  median ${t.median}${leaderboard ? ` (from ${leaderboard})` : ""}`
          : "thresholds:   unknown",
        spec.schema
          ? `schema:       ${spec.schema.targetKind}; ${spec.schema.columns.length} columns; ${spec.schema.trainRows ?? "?"} train / ${spec.schema.testRows ?? "?"} test rows`
          : "schema:       unknown",
        split
          ? `split:        ${count(split.reward.length)} reward / ${count(split.report.length)} report test rows by ${split.idColumn} (report fraction ${split.settings.reportFraction}, salt ${split.settings.salt}); --json lists the ids`
          : `split:        ${splitError}`,
        ...issues.map((i) => `known issue:  ${i.kind.replace("-", " ")}: ${i.summary} (${i.source}); ${i.handling}`),
        `prepared:     ${prepared ? "yes" : "no"}`,
        `public dir:   ${paths.publicDir}`,
        ...files.public.map((f) => `  ${f.name}${f.bytes === null ? "" : `  (${f.bytes} bytes)`}`),
        ...(agentDir !== paths.publicDir ? [`agent sees:   ${agentDir} (public/ without the leaking field; built on first use)`] : []),
        `private dir:  ${paths.privateDir}`,
        ...files.private.map((f) => `  ${f.name}${f.bytes === null ? "" : `  (${f.bytes} bytes)`}`),
      ];
      process.stdout.write(`${out.join("\n")}\n`);
    });
}

/** The directory the agent is shown (public/, or the view without a leaking field), without building it. */
function agentDirOf(spec: TaskSpec, paths: TaskPaths): string {
  const leaks = knownIssues(spec.id).some((i) => i.leakyField);
  return spec.source === "mlebench" && leaks && !keepLeakyFields() ? join(paths.publicDir, "..", AGENT_VIEW_DIR) : paths.publicDir;
}

function fractionFlag(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1))
    throw new UserError(`--report-fraction must be a number strictly between 0 and 1, got '${value}'`, "e.g. --report-fraction 0.5");
  return n;
}
