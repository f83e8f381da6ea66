import type { Command } from "commander";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { dataDirOf } from "../options.js";
import { getTask, listTasks, prepareTasks, taskPaths, BUILTIN_TASK_IDS } from "../../tasks/registry.js";
import { leaderboardPath } from "../../tasks/mlebench/load.js";

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
    .description("show a task's spec, where its files live, which files it has and its medal thresholds")
    .argument("<id>", "task id (see `mlerl tasks list`)")
    .option("--json", "print the spec and paths as JSON")
    .action((id: string, opts: { json?: boolean }, cmd: Command) => {
      const dataDir = dataDirOf(cmd);
      const spec = getTask(id, dataDir);
      const paths = taskPaths(id, dataDir);
      const listing = listTasks(dataDir).find((t) => t.spec.id === id);
      const files = { public: filesIn(paths.publicDir), private: filesIn(paths.privateDir) };
      const leaderboard = spec.source === "mlebench" ? leaderboardPath(paths) : undefined;
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ spec, paths, prepared: listing?.prepared ?? false, files, leaderboard: leaderboard ?? null }, null, 2)}\n`,
        );
        return;
      }
      const t = spec.thresholds;
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
        `prepared:     ${listing?.prepared ? "yes" : "no"}`,
        `public dir:   ${paths.publicDir}`,
        ...files.public.map((f) => `  ${f.name}${f.bytes === null ? "" : `  (${f.bytes} bytes)`}`),
        `private dir:  ${paths.privateDir}`,
        ...files.private.map((f) => `  ${f.name}${f.bytes === null ? "" : `  (${f.bytes} bytes)`}`),
      ];
      process.stdout.write(`${out.join("\n")}\n`);
    });
}
