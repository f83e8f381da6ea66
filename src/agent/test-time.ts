/**
 * The test-time procedure (paper §3): one solution from scratch, one improvement of it, and the better of the
 * two kept, judged by what the agent itself can see: whether a valid submission was written and the validation
 * metric the program printed. The hidden test score is read only after the choice is made, to be reported
 * beside it. Generic over the policy (`solve`) and the executor (`run`), so the built-in fragment LM, an
 * OpenAI-compatible LM, or a test double can all use it.
 */
import { z } from "zod";
import { AgentFeedback } from "../core/rollout.js";
import { agentVisibleOutput, type StripMarkers, type TrimOptions } from "./output.js";
import { renderImprove, renderScratch, type PreviousAttempt, type Templates } from "./prompts.js";
import { parseResponse, type CodeSource } from "./response.js";

export type AttemptKind = "scratch" | "improve";

/** What a policy returns: a raw response to parse, or a program it produced directly (the fragment LM). */
export interface SolveOutput {
  text?: string;
  code?: string;
  plan?: string;
}

/** What the agent may know about the solution it is asked to improve: agent-visible fields only. */
export interface VisiblePrevious {
  plan: string;
  code: string;
  /** Output with instrumentation stripped, secrets redacted, trimmed to head and tail. */
  output: string;
  validationMetric: number | null;
  validSubmission: boolean;
  /** Null when hidden (see RewardVisibility). */
  reward: number | null;
  summary: string;
  /** Structured feedback the run reported for the policy (failure kind, milestones reached, ...), if any. */
  feedback: AgentFeedback | null;
}

export interface SolveRequest {
  kind: AttemptKind;
  /** The rendered prompt, for text policies. */
  prompt: string;
  /** For `improve`: the solution to improve, as the agent may see it. */
  previous?: VisiblePrevious;
}

/** What an executor + grader report for one program. `testScore` is hidden from the choice. */
export interface RunOutcome {
  /** Raw output (stdout then stderr), instrumentation markers included; the procedure strips them. */
  output: string;
  /** The validation metric the program printed (parsed from its output), or null. */
  validationMetric: number | null;
  /** Whether the submission it wrote passed the format check. */
  validSubmission: boolean;
  /** The hidden test score of the submission, or null. Reported, never used to choose. */
  testScore: number | null;
  reward: number;
  /** One line on how the run ended. */
  summary?: string;
  /**
   * Agent-visible feedback passed on to the improve request (e.g. the last milestone reached, the failure kind,
   * a bucket of the printed metric). It must not be derived from the test score: the procedure passes it as is.
   */
  feedback?: AgentFeedback;
}

/**
 * When the improve prompt may show the previous reward. A valid submission's reward IS its (sign-adjusted)
 * hidden test score, so showing it would leak the test score into the second attempt. By default it is shown
 * only when it is partial credit (no valid submission), which is derived from the agent's own output.
 */
export type RewardVisibility = "partial_credit_only" | "never" | "always";

export interface TestTimeTask {
  description: string;
  /** The metric's name as the agent reads it. */
  metric: string;
  lowerIsBetter: boolean;
}

export interface TestTimeInput<S extends SolveOutput, R extends RunOutcome> {
  task: TestTimeTask;
  dataOverview: string;
  timeLimitSec: number;
  templates: Templates;
  /** Removes instrumentation marker lines from raw output. */
  stripMarkers: StripMarkers;
  /** Strings never to show the agent (nonces). */
  secrets?: readonly string[];
  solve: (request: SolveRequest) => Promise<S>;
  run: (code: string, info: { kind: AttemptKind }) => Promise<R>;
  trim?: TrimOptions;
  rewardVisibility?: RewardVisibility;
}

export type AttemptCode =
  { ok: true; plan: string; code: string; source: CodeSource | "direct" } | { ok: false; kind: "no_code"; message: string };

export interface Attempt<S, R> {
  kind: AttemptKind;
  prompt: string;
  sample: S;
  parsed: AttemptCode;
  /** The executor's result; null when there was no code to run. */
  run: R | null;
  /** Agent-visible facts the choice is made on. */
  validationMetric: number | null;
  validSubmission: boolean;
}

export type SelectionReason =
  | "improve_metric_better"
  | "scratch_metric_better"
  | "metric_tie_keeps_scratch"
  | "only_improve_eligible"
  | "only_scratch_eligible"
  | "neither_eligible_improve_has_valid_submission"
  | "neither_eligible_keeps_scratch"
  | "improve_skipped_no_scratch_code";

export interface Selection {
  selected: AttemptKind;
  reason: SelectionReason;
  /** One sentence for reports. */
  explanation: string;
}

export interface TestTimeResult<S, R> {
  scratch: Attempt<S, R>;
  /** Null when the scratch response had no code to improve. */
  improve: Attempt<S, R> | null;
  selection: Selection;
  /** The selected attempt's hidden test score, read after the choice. */
  selectedTestScore: number | null;
  /** Both attempts' hidden test scores, for reporting beside the choice. */
  testScores: { scratch: number | null; improve: number | null };
}

/** The facts a choice may depend on. Deliberately has no test score and no reward. */
export interface Visible {
  validationMetric: number | null;
  validSubmission: boolean;
}

const eligible = (v: Visible) => v.validSubmission && v.validationMetric !== null && Number.isFinite(v.validationMetric);

/**
 * Keep the better attempt by agent-visible facts. An attempt is eligible when it wrote a valid submission and
 * printed a finite validation metric. Both eligible: the better metric in the task's direction wins, a tie keeps
 * scratch. One eligible: it wins. Neither: a valid submission (without a metric) beats none; otherwise scratch.
 */
export function selectBetter(scratch: Visible, improve: Visible, lowerIsBetter: boolean): Selection {
  const fmt = (x: number | null) => (x === null ? "none" : String(x));
  const s = eligible(scratch);
  const i = eligible(improve);
  if (s && i) {
    const a = scratch.validationMetric as number;
    const b = improve.validationMetric as number;
    const dir = lowerIsBetter ? "lower is better" : "higher is better";
    if (a === b)
      return {
        selected: "scratch",
        reason: "metric_tie_keeps_scratch",
        explanation: `both printed ${a}; a tie keeps the scratch solution`,
      };
    const improveBetter = lowerIsBetter ? b < a : b > a;
    return improveBetter
      ? {
          selected: "improve",
          reason: "improve_metric_better",
          explanation: `the improvement's validation metric ${b} beats the scratch solution's ${a} (${dir})`,
        }
      : {
          selected: "scratch",
          reason: "scratch_metric_better",
          explanation: `the scratch solution's validation metric ${a} beats the improvement's ${b} (${dir})`,
        };
  }
  if (i)
    return {
      selected: "improve",
      reason: "only_improve_eligible",
      explanation: `only the improvement wrote a valid submission and printed a metric (scratch: valid=${scratch.validSubmission}, metric=${fmt(scratch.validationMetric)})`,
    };
  if (s)
    return {
      selected: "scratch",
      reason: "only_scratch_eligible",
      explanation: `only the scratch solution wrote a valid submission and printed a metric (improvement: valid=${improve.validSubmission}, metric=${fmt(improve.validationMetric)})`,
    };
  if (improve.validSubmission && !scratch.validSubmission) {
    return {
      selected: "improve",
      reason: "neither_eligible_improve_has_valid_submission",
      explanation: "neither printed a usable metric; only the improvement wrote a valid submission",
    };
  }
  return {
    selected: "scratch",
    reason: "neither_eligible_keeps_scratch",
    explanation: "neither wrote a valid submission with a printed metric; the scratch solution is kept",
  };
}

// Only these fields of a run outcome are read before the choice; `testScore` is not among them.
const VisibleOutcome = z.object({
  output: z.string(),
  // NaN or ±Infinity printed as a metric is no metric.
  validationMetric: z.preprocess((x) => (typeof x === "number" && !Number.isFinite(x) ? null : x), z.number().nullable()),
  validSubmission: z.boolean(),
  reward: z.number(),
  summary: z.string().optional(),
  feedback: AgentFeedback.nullable().default(null),
});
type VisibleOutcome = z.infer<typeof VisibleOutcome>;

function visibleOutcome(r: RunOutcome, kind: AttemptKind): VisibleOutcome {
  const picked = {
    output: r.output,
    validationMetric: r.validationMetric,
    validSubmission: r.validSubmission,
    reward: r.reward,
    summary: r.summary,
    feedback: r.feedback ?? null,
  };
  const parsed = VisibleOutcome.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the ${kind} run returned an invalid outcome at ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "unknown"}`);
  }
  return parsed.data;
}

function codeOf(sample: SolveOutput): AttemptCode {
  if (typeof sample.code === "string" && sample.code.trim() !== "") {
    return { ok: true, plan: sample.plan ?? "", code: sample.code, source: "direct" };
  }
  if (typeof sample.text === "string") return parseResponse(sample.text);
  return { ok: false, kind: "no_code", message: "the policy returned neither a response nor a program" };
}

function shownReward(v: VisibleOutcome, policy: RewardVisibility): number | null {
  if (policy === "always") return v.reward;
  if (policy === "never") return null;
  return v.validSubmission ? null : v.reward;
}

/** Run the procedure. Errors thrown by `solve` or `run` (infrastructure failures) propagate. */
export async function testTimeSolve<S extends SolveOutput, R extends RunOutcome>(
  input: TestTimeInput<S, R>,
): Promise<TestTimeResult<S, R>> {
  const base = {
    taskDescription: input.task.description,
    dataOverview: input.dataOverview,
    timeLimitSec: input.timeLimitSec,
    metric: input.task.metric,
    lowerIsBetter: input.task.lowerIsBetter,
  };
  const secrets = input.secrets ?? [];

  const attempt = async (kind: AttemptKind, prompt: string, previous?: VisiblePrevious) => {
    const sample = await input.solve(previous ? { kind, prompt, previous } : { kind, prompt });
    const parsed = codeOf(sample);
    if (!parsed.ok) {
      return {
        attempt: { kind, prompt, sample, parsed, run: null, validationMetric: null, validSubmission: false } as Attempt<S, R>,
        visible: null,
      };
    }
    const run = await input.run(parsed.code, { kind });
    const visible = visibleOutcome(run, kind);
    const a: Attempt<S, R> = {
      kind,
      prompt,
      sample,
      parsed,
      run,
      validationMetric: visible.validationMetric,
      validSubmission: visible.validSubmission,
    };
    return { attempt: a, visible };
  };

  const scratchPrompt = renderScratch(input.templates, base, { secrets });
  const scratch = await attempt("scratch", scratchPrompt);

  let improve: Attempt<S, R> | null = null;
  let selection: Selection;
  if (!scratch.attempt.parsed.ok || !scratch.visible) {
    selection = {
      selected: "scratch",
      reason: "improve_skipped_no_scratch_code",
      explanation: "the scratch response had no code, so there was nothing to improve",
    };
  } else {
    const v = scratch.visible;
    const previousInput: PreviousAttempt = {
      plan: scratch.attempt.parsed.plan,
      code: scratch.attempt.parsed.code,
      output: v.output,
      validationMetric: v.validationMetric,
      validSubmission: v.validSubmission,
      reward: shownReward(v, input.rewardVisibility ?? "partial_credit_only"),
      summary: v.summary ?? "",
    };
    const outputOptions = { stripMarkers: input.stripMarkers, secrets, ...input.trim };
    const improvePrompt = renderImprove(input.templates, { ...base, previous: previousInput }, outputOptions);
    const previous: VisiblePrevious = {
      plan: previousInput.plan ?? "",
      code: previousInput.code,
      output: agentVisibleOutput(v.output, outputOptions),
      validationMetric: previousInput.validationMetric,
      validSubmission: previousInput.validSubmission,
      reward: previousInput.reward,
      summary: previousInput.summary ?? "",
      feedback: v.feedback,
    };
    improve = (await attempt("improve", improvePrompt, previous)).attempt;
    const visibleOf = (a: Attempt<S, R>): Visible => ({ validationMetric: a.validationMetric, validSubmission: a.validSubmission });
    selection = selectBetter(visibleOf(scratch.attempt), visibleOf(improve), input.task.lowerIsBetter);
  }

  // The choice is made; only now are the hidden scores read, for the report.
  const testScores = { scratch: scratch.attempt.run?.testScore ?? null, improve: improve?.run?.testScore ?? null };
  return {
    scratch: scratch.attempt,
    improve,
    selection,
    selectedTestScore: testScores[selection.selected],
    testScores,
  };
}
