import { resolve } from "node:path";
import type { Command } from "commander";
import type { TaskFacts } from "../../report/build.js";
import { knownIssueLines } from "../../tasks/known-issues.js";
import { UserError } from "../../errors.js";
import { buildReport } from "../../report/build.js";
import type { GroupBy } from "../../report/groups.js";
import { fmtMeanStd } from "../../report/write.js";
import { getTask } from "../../tasks/registry.js";
import { dataDirOf } from "../options.js";

interface ReportOptions {
  out: string;
  groupBy: string;
  json?: boolean;
}

/** What the report needs of a task, from the registry; null for a task this machine does not know. */
export function reportTaskLookup(dataDir: string): (taskId: string) => TaskFacts | null {
  return (id) => {
    try {
      const spec = getTask(id, dataDir);
      return {
        metric: spec.metric,
        lowerIsBetter: spec.lowerIsBetter,
        thresholds: spec.thresholds ?? null,
        knownIssues: knownIssueLines(id),
      };
    } catch {
      return null;
    }
  };
}

export function defineReport(cmd: Command): void {
  cmd
    .argument(
      "<run-dir...>",
      "run directories of `mlerl train`, `mlerl baseline`, `mlerl ablate` or `mlerl eval --out`; several runs of one method are its seeds; a directory holding run directories stands for all of them",
    )
    .option("--out <dir>", "where report.md and its PNG/SVG plots go", "report")
    .option(
      "--group-by <key>",
      'what makes runs one method: method (run meta "method") or label (meta "label", falling back to method)',
      "method",
    )
    .option("--json", "also print the report's tables, notes and written files as one JSON object")
    .action(async (dirs: string[], opts: ReportOptions, cmd: Command) => {
      if (opts.groupBy !== "method" && opts.groupBy !== "label")
        throw new UserError(
          `--group-by must be method or label, got '${opts.groupBy}'`,
          "e.g. --group-by label to compare runs of one method with different labels",
        );
      const dataDir = dataDirOf(cmd);
      const taskLookup = reportTaskLookup(dataDir);
      const out = resolve(opts.out);
      const result = await buildReport({ dirs, out, groupBy: opts.groupBy as GroupBy, taskLookup });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ out, files: result.files, renderSec: result.renderSec, ...result.model }, null, 2) + "\n");
        return;
      }
      const { model } = result;
      const lines = [`report    ${result.files[0]}`, `runs      ${model.runs.length} (methods: ${model.methods.join(", ")})`];
      for (const t of model.evaluation) {
        lines.push(`eval      ${t.taskId}: ${t.rows.map((r) => `${r.method} ${fmtMeanStd(r.score, r.seeds)}`).join(", ")}`);
      }
      if (model.evaluation.length === 0) lines.push("eval      no eval.json in any run (see the report's notes)");
      const drawn = model.plots.filter((p) => p.file !== null).length;
      lines.push(`plots     ${drawn} PNG${drawn === 1 ? "" : "s"} rendered in ${result.renderSec.toFixed(1)} s`);
      for (const n of model.notes) lines.push(`note      ${n}`);
      process.stdout.write(lines.join("\n") + "\n");
    });
}
