import type { Command } from "commander";
import { z } from "zod";
import { UserError } from "../../errors.js";
import { formatGradeReport, gradeBounded } from "../../grading/index.js";
import { requirePrepared } from "../../tasks/registry.js";
import { dataDirOf } from "../options.js";

const GradeOptions = z.object({
  task: z.string().min(1),
  submission: z.string().min(1),
  json: z.boolean().optional(),
});

export function registerGrade(program: Command): void {
  program
    .command("grade")
    .description(
      "grade a submission CSV for a prepared task exactly as MLE-bench does and print its report (score rounded to 5 decimals, medal thresholds, medals, above_median, validity); an invalid submission gets an `error` saying what to fix. Exits 0 for a valid submission, 1 for a missing or invalid one",
    )
    .requiredOption(
      "--task <id>",
      "task id (see `mlerl tasks list`), e.g. mini-tabular-playground-series-may-2022 or an MLE-bench competition id",
    )
    .requiredOption("--submission <file>", "the submission CSV to grade (the file the program wrote to /home/submission/submission.csv)")
    .option("--json", "print the report as JSON (MLE-bench's field names plus `error`)")
    .action(async (raw: unknown, cmd: Command) => {
      const parsed = GradeOptions.safeParse(raw);
      if (!parsed.success) throw new UserError(`bad options for grade: ${parsed.error.message}`, "run `mlerl grade --help`");
      const opts = parsed.data;
      const { spec, paths } = requirePrepared(opts.task, dataDirOf(cmd));
      const report = await gradeBounded(spec, paths, opts.submission);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatGradeReport(report));
      process.exitCode = report.valid_submission ? 0 : 1;
    });
}
