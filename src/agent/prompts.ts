/**
 * The agent's prompt templates: markdown files with `{{name}}` placeholders, shipped in `prompts/` and
 * overridable by a user directory. Templates are checked when loaded (every placeholder known, the required
 * ones present) so a mistake in a user's template is reported before any rollout, naming file and placeholder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { repoRoot } from "../paths.js";
import { agentVisibleOutput, redactSecrets, type AgentVisibleOutputOptions } from "./output.js";

export const TEMPLATE_NAMES = ["scratch", "improve"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Placeholders every template may use. */
const COMMON = [
  "task_description",
  "data_overview",
  "time_limit",
  "data_dir",
  "submission_path",
  "metric",
  "metric_direction",
  "packages",
] as const;

const IMPROVE_ONLY = [
  "previous_plan",
  "previous_code",
  "execution_output",
  "execution_summary",
  "submission_status",
  "validation_metric",
  "reward",
] as const;

export const PLACEHOLDERS: Record<TemplateName, { allowed: readonly string[]; required: readonly string[] }> = {
  scratch: { allowed: COMMON, required: ["task_description"] },
  improve: { allowed: [...COMMON, ...IMPROVE_ONLY], required: ["previous_code", "execution_output"] },
};

/** `{{ name }}`; anything else in braces is literal text. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export interface Template {
  name: TemplateName;
  /** The file it was read from. */
  path: string;
  text: string;
  /** Placeholder names in order of first use. */
  placeholders: string[];
}

export type Templates = Record<TemplateName, Template>;

/** The templates shipped with mlerl. */
export function defaultPromptDir(): string {
  return join(repoRoot(), "prompts");
}

/** A user's override dir: the explicit option, else `MLERL_PROMPTS_DIR`, else none. */
export function promptDirFromEnv(explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = explicit ?? env.MLERL_PROMPTS_DIR;
  return dir ? resolve(dir) : undefined;
}

function placeholdersOf(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    if (!seen.includes(name)) seen.push(name);
  }
  return seen;
}

/** Check one template's text against its placeholder rules. Exported for tests and for `--check` style tools. */
export function parseTemplate(name: TemplateName, path: string, text: string): Template {
  const { allowed, required } = PLACEHOLDERS[name];
  const used = placeholdersOf(text);
  for (const p of used) {
    if (!allowed.includes(p)) {
      throw new UserError(
        `prompt template ${path} uses an unknown placeholder {{${p}}}`,
        `the ${name} template may use: ${allowed.map((a) => `{{${a}}}`).join(", ")}`,
      );
    }
  }
  for (const p of required) {
    if (!used.includes(p)) {
      throw new UserError(
        `prompt template ${path} is missing the placeholder {{${p}}}`,
        `the ${name} template must contain ${required.map((r) => `{{${r}}}`).join(" and ")}`,
      );
    }
  }
  return { name, path, text, placeholders: used };
}

function readTemplate(name: TemplateName, path: string): Template {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserError(`cannot read prompt template ${path}`, "check that the file exists and is readable");
  }
  return parseTemplate(name, path, text.replace(/\r\n?/g, "\n"));
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/**
 * Load the templates: each `<name>.md` from `overrideDir` when it has one, else the shipped one. An override dir
 * that does not exist, holds no template, or holds a misspelt template name is a UserError.
 */
export function loadTemplates(overrideDir?: string): Templates {
  const defaults = defaultPromptDir();
  const pick = (name: TemplateName): string => {
    const own = overrideDir ? join(overrideDir, `${name}.md`) : undefined;
    return own && existsSync(own) ? own : join(defaults, `${name}.md`);
  };
  if (overrideDir) {
    if (!existsSync(overrideDir) || !statSync(overrideDir).isDirectory()) {
      throw new UserError(
        `prompt directory ${overrideDir} does not exist`,
        "create it, or point to a directory holding scratch.md and/or improve.md",
      );
    }
    const files = readdirSync(overrideDir).filter((f) => f.toLowerCase().endsWith(".md"));
    const known = TEMPLATE_NAMES.map((n) => `${n}.md`);
    for (const f of files) {
      if (known.includes(f)) continue;
      const near = known.find((k) => editDistance(f.toLowerCase(), k) <= 2);
      if (near) throw new UserError(`prompt directory ${overrideDir} has ${f}, which is not a template name`, `rename it to ${near}`);
    }
    if (!files.some((f) => known.includes(f))) {
      throw new UserError(
        `prompt directory ${overrideDir} holds no template`,
        `put scratch.md and/or improve.md in it (copy them from ${defaults})`,
      );
    }
  }
  return { scratch: readTemplate("scratch", pick("scratch")), improve: readTemplate("improve", pick("improve")) };
}

/** Fill a checked template. Every placeholder it uses must have a value (a bug otherwise, not a user error). */
export function fillTemplate(template: Template, values: Readonly<Record<string, string>>): string {
  for (const p of template.placeholders) {
    if (values[p] === undefined) throw new Error(`no value for {{${p}}} in the ${template.name} template (${template.path})`);
  }
  // One pass: a value that itself contains `{{...}}` (code, output) is never expanded again.
  return template.text.replace(PLACEHOLDER, (_, name: string) => values[name] ?? "");
}

export const DEFAULT_PACKAGES = ["numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "xgboost"] as const;

export const ScratchInput = z.object({
  taskDescription: z.string().trim().min(1, "the task description is empty"),
  dataOverview: z.string(),
  /** Wall-clock limit of one execution, seconds. */
  timeLimitSec: z.number().positive(),
  /** The competition metric, as the agent should read it (e.g. "ROC AUC"). */
  metric: z.string().min(1),
  lowerIsBetter: z.boolean(),
  dataDir: z.string().min(1).default("/home/data"),
  submissionPath: z.string().min(1).default("/home/submission/submission.csv"),
  packages: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_PACKAGES]),
});
export type ScratchInput = z.input<typeof ScratchInput>;

/** What the agent may be told about the solution it is asked to improve. No test score here, by construction. */
export const PreviousAttempt = z.object({
  plan: z.string().default(""),
  code: z.string().refine((c) => c.trim() !== "", "the previous code is empty"),
  /** Raw execution output (stdout then stderr); markers are stripped and it is trimmed when rendered. */
  output: z.string(),
  /** The validation metric the program printed, or null when it printed none. */
  validationMetric: z.number().nullable(),
  validSubmission: z.boolean(),
  /** The reward, or null when it must not be shown (e.g. it would reveal a hidden test score). */
  reward: z.number().nullable(),
  /** One line on how the run ended ("exited 1 after 2.3 s", "killed at the 120 s deadline"). */
  summary: z.string().default(""),
});
export type PreviousAttempt = z.input<typeof PreviousAttempt>;

export const ImproveInput = ScratchInput.extend({ previous: PreviousAttempt });
export type ImproveInput = z.input<typeof ImproveInput>;

/** "2 minutes", "1 hour 30 minutes", "45 seconds". */
export function formatDuration(sec: number): string {
  const total = Math.round(sec);
  if (total < 60) return `${Math.max(1, total)} second${total === 1 ? "" : "s"}`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const part = (n: number, unit: string) => (n > 0 ? [`${n} ${unit}${n === 1 ? "" : "s"}`] : []);
  return [...part(h, "hour"), ...part(m, "minute"), ...part(s, "second")].join(" ");
}

/** Numbers as an agent reads them: up to 6 significant digits, no exponent for ordinary magnitudes. */
export function formatNumber(x: number): string {
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1e-4 && abs < 1e9) return String(Number(x.toPrecision(6)));
  return x.toPrecision(6);
}

function commonValues(input: z.output<typeof ScratchInput>): Record<string, string> {
  return {
    task_description: input.taskDescription.trim(),
    data_overview: input.dataOverview.trim(),
    time_limit: formatDuration(input.timeLimitSec),
    data_dir: input.dataDir,
    submission_path: input.submissionPath,
    metric: input.metric,
    metric_direction: input.lowerIsBetter ? "lower is better" : "higher is better",
    packages: input.packages.join(", "),
  };
}

function checked<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue?.path.length ? issue.path.join(".") : "(root)";
    throw new Error(`invalid ${what} prompt input at ${at}: ${issue?.message ?? "unknown"}`);
  }
  return r.data;
}

export interface RenderOptions {
  /** Strings that must never appear in a prompt (instrumentation nonces); redacted if they do. */
  secrets?: readonly string[];
}

/** The "solve from scratch" prompt. */
export function renderScratch(templates: Templates, input: ScratchInput, options: RenderOptions = {}): string {
  const data = checked(ScratchInput, input, "scratch");
  return redactSecrets(fillTemplate(templates.scratch, commonValues(data)), options.secrets);
}

export type ImproveRenderOptions = RenderOptions & Omit<AgentVisibleOutputOptions, "secrets">;

/**
 * The "improve this solution" prompt. `stripMarkers` is required: the previous output went through the
 * instrumenter, and no marker line may reach the agent.
 */
export function renderImprove(templates: Templates, input: ImproveInput, options: ImproveRenderOptions): string {
  const data = checked(ImproveInput, input, "improve");
  const prev = data.previous;
  const output = agentVisibleOutput(prev.output, options);
  const values: Record<string, string> = {
    ...commonValues(data),
    previous_plan: prev.plan.trim() === "" ? "(none given)" : prev.plan.trim(),
    previous_code: prev.code.replace(/\r\n?/g, "\n").replace(/\n+$/, ""),
    execution_output: output.trim() === "" ? "(no output)" : output.replace(/\n+$/, ""),
    execution_summary: prev.summary.trim(),
    submission_status: prev.validSubmission ? "a valid submission.csv was written" : "no valid submission.csv was written",
    validation_metric: prev.validationMetric === null ? "none printed" : formatNumber(prev.validationMetric),
    reward: prev.reward === null ? "not shown" : formatNumber(prev.reward),
  };
  return redactSecrets(fillTemplate(templates.improve, values), options.secrets);
}
