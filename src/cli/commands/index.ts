import type { Command } from "commander";
import { registerSetup } from "./setup.js";
import { registerDoctor } from "./doctor.js";
import { registerExec } from "./exec.js";
import { registerTasks } from "./tasks.js";
import { registerPrompt } from "./prompt.js";
import { registerGrade } from "./grade.js";
import { registerPolicy } from "./policy.js";
import { registerReference } from "./reference.js";
import { registerTrain } from "./train.js";
import { registerTrainer } from "./trainer.js";
import { registerAblate } from "./ablate.js";
import { registerLearningCheck } from "./learning-check.js";
import { registerPipeline } from "./pipeline.js";
import { registerReport } from "./report.js";
import { registerEval } from "./eval.js";
import { registerBaseline } from "./baseline.js";

/** Every `mlerl` subcommand, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  registerSetup(program);
  registerDoctor(program);
  registerExec(program);
  registerGrade(program);
  registerTasks(program);
  registerPrompt(program);
  registerPolicy(program);
  registerReference(program);
  registerTrain(program);
  registerTrainer(program);
  registerAblate(program);
  registerLearningCheck(program);
  registerPipeline(program);
  registerReport(program);
  registerEval(program);
  registerBaseline(program);
}
