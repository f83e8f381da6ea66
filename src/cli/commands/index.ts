/**
 * Every `mlerl` subcommand, in the order `--help` lists them. A command's module (and everything it imports) is
 * loaded only when that command runs or shows its help, so `mlerl --version` or `mlerl grade` do not pay for
 * TensorFlow, SQLite or the plotting libraries.
 */
import type { Command } from "commander";

export interface CommandEntry {
  name: string;
  description: string;
  /** The function that adds the command's options, subcommands and action. */
  load: () => Promise<(cmd: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "setup",
    description: "create the pinned Python runtime for agent programs (idempotent)",
    load: async () => (await import("./setup.js")).defineSetup,
  },
  {
    name: "doctor",
    description:
      "check what running agent programs needs (Python, agent venv, bubblewrap, user namespaces, cgroups) and print the fix for anything missing; exits 1 if something required is missing",
    load: async () => (await import("./doctor.js")).defineDoctor,
  },
  {
    name: "exec",
    description:
      "run one Python program on a prepared task in the sandbox and grade its /home/submission/submission.csv (exit 0 when it exits 0 with a valid submission)",
    load: async () => (await import("./exec.js")).defineExec,
  },
  {
    name: "grade",
    description:
      "grade a submission CSV for a prepared task exactly as MLE-bench does and print its report (score rounded to 5 decimals, medal thresholds, medals, above_median, validity); an invalid submission gets an `error` saying what to fix. Exits 0 for a valid submission, 1 for a missing or invalid one. With a .jsonl file (MLE-bench's batch form: one {competition_id, submission_path} per line) it grades every line and writes <time>_grading_report.json with every report and MLE-bench's totals (exit 0 once written)",
    load: async () => (await import("./grade.js")).defineGrade,
  },
  {
    name: "tasks",
    description: "list, prepare and inspect tasks (built-in mini tasks and MLE-bench prepared competitions)",
    load: async () => (await import("./tasks.js")).defineTasks,
  },
  {
    name: "prompt",
    description:
      "print the prompt an LM policy would get for a prepared task: `scratch` (task, data overview, instructions) or `improve` (a previous program and its output); use it to check your own templates",
    load: async () => (await import("./prompt.js")).definePrompt,
  },
  {
    name: "policy",
    description: "the built-in fragment-LM policy: sample programs, create checkpoints, inspect, survey outcomes",
    load: async () => (await import("./policy.js")).definePolicy,
  },
  {
    name: "reference",
    description:
      "prepare built-in tasks, run a shipped reference solution of each in the sandbox, grade it and print the reports (a smoke test of the whole environment)",
    load: async () => (await import("./reference.js")).defineReference,
  },
  {
    name: "train",
    description:
      "train a policy with asynchronous RL: duration-aware updates, instrumentation partial credit, self-improvement prompts (Ctrl-C stops cleanly; --resume continues)",
    load: async () => (await import("./train.js")).defineTrain,
  },
  {
    name: "worker",
    description:
      "an executor machine for --executor queue: take execution jobs from Redis (BullMQ), run each program in this machine's sandbox and send the execution back; grading stays with the coordinator",
    load: async () => (await import("./worker.js")).defineWorker,
  },
  {
    name: "trainer",
    description: "the reference trainer server (Hugging Face causal LM + LoRA; trainer protocol 1, see docs/trainer-protocol.md)",
    load: async () => (await import("./trainer.js")).defineTrainer,
  },
  {
    name: "ablate",
    description:
      "the paper's ablations on equal budgets: the full method and no duration weighting / no instrumentation / no improve prompts, K seeds each, each run trained then evaluated (resumable: run it again to continue)",
    load: async () => (await import("./ablate.js")).defineAblate,
  },
  {
    name: "learning-check",
    description:
      "does training help? per task, a default `mlerl train` run against the untrained policy on the same seed and rollout count: reward and valid share, first vs last fifth, and best valid score (resumable: run it again with --out-dir)",
    load: async () => (await import("./learning-check.js")).defineLearningCheck,
  },
  {
    name: "pipeline",
    description:
      "the main job: train the built-in policy, evaluate it (scratch + one improvement, keep the better), run the AIDE-style and random-search baselines on the same number of executions, and write the report (run it again with the same --out to continue a stopped pipeline)",
    load: async () => (await import("./pipeline.js")).definePipeline,
  },
  {
    name: "report",
    description:
      "write a markdown report with tables (per task: method × mean ± std of the selected test score, valid and medal rates) and PNG plots (best score so far against wall-clock time, reward, valid share and Δt over training, failure stages) from run directories",
    load: async () => (await import("./report.js")).defineReport,
  },
  {
    name: "dashboard",
    description:
      "a live web dashboard of runs: curves, rollouts (program, output, markers, reward breakdown, diff to the parent), search trees, reports; read-only, on 127.0.0.1 unless --host (then with a token)",
    load: async () => (await import("./dashboard.js")).defineDashboard,
  },
  {
    name: "eval",
    description:
      "evaluate a policy with the test-time procedure (a solution from scratch, one improvement, keep the better by the program's own validation metric; the hidden test score never selects) N times per task and seed; writes eval.json and prints a table",
    load: async () => (await import("./eval.js")).defineEval,
  },
  {
    name: "baseline",
    description:
      "run a baseline search on an equal budget and store it like a training run: `aide` (AIDE-style tree search: drafts, debugging, greedy improvement of the best node, driven by the untrained built-in policy) or `random` (programs drawn uniformly over the fragment grammar); the final pick per task and seed (best validation metric) goes to eval.json",
    load: async () => (await import("./baseline.js")).defineBaseline,
  },
];

/**
 * Adds every command to the program; only `wanted` (the command named on the command line, if any) is defined in
 * full, the others are listed with their description.
 */
export async function registerCommands(program: Command, wanted: string | undefined): Promise<void> {
  for (const entry of COMMANDS) {
    const cmd = program.command(entry.name).description(entry.description);
    if (entry.name === wanted) (await entry.load())(cmd);
  }
}
