/**
 * The run config: everything a training run needs to start or resume, stored in the run so `--resume` needs
 * nothing else. Every default lives here and only here; the CLI's flags, their help text and the defaults they
 * print are read from this schema (src/cli/flags.ts). A few defaults depend on other fields (the learning rate on
 * the policy, executors on the executor kind); `resolveRunConfig` fills those, and `DERIVED_DEFAULTS` says how.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { BUILTIN_TASK_IDS } from "./task.js";

/** How one kind of simulated action behaves: lognormal duration, normal reward; a failure rate turns it into −10. */
export const SimulatedAction = z.object({
  /** Median duration in seconds. */
  medianSec: z.number().positive(),
  /** σ of log-duration: 0 = fixed, 1+ = heavy tail. */
  sigma: z.number().nonnegative(),
  reward: z.number(),
  rewardStd: z.number().nonnegative().default(0),
  failProb: z.number().min(0).max(1).default(0),
});
export type SimulatedAction = z.infer<typeof SimulatedAction>;

export const SimulationModel = z.object({
  actions: z.record(z.string(), SimulatedAction),
  failReward: z.number().default(-10),
});
export type SimulationModel = z.infer<typeof SimulationModel>;

/** Fast-but-worse, slow-but-better and failing actions: the situation duration weighting is for. */
export const DEFAULT_SIM_MODEL: SimulationModel = {
  failReward: -10,
  actions: {
    "fail-early": { medianSec: 0.5, sigma: 0.5, reward: -10, rewardStd: 0, failProb: 1 },
    "linear-fast": { medianSec: 1, sigma: 0.5, reward: 0.5, rewardStd: 0.05, failProb: 0.05 },
    "forest-medium": { medianSec: 5, sigma: 0.7, reward: 0.7, rewardStd: 0.05, failProb: 0.05 },
    "boosting-slow": { medianSec: 20, sigma: 1.0, reward: 0.9, rewardStd: 0.05, failProb: 0.05 },
  },
};

export const EXECUTOR_KINDS = ["sandbox", "unsandboxed", "simulate", "queue"] as const;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** Where programs run and how they are instrumented. */
export const EnvConfig = z.object({
  executor: z
    .enum(EXECUTOR_KINDS)
    .default("sandbox")
    .describe("where programs run: sandbox (bubblewrap), unsandboxed (trusted code only), simulate (virtual time), queue (remote workers)"),
  /** For `executor: "queue"`: the Redis server the workers take jobs from. */
  redisUrl: z.string().optional().describe("Redis URL of the job queue for --executor queue (redis:// or rediss://)"),
  /** For `executor: "queue"`: the sandbox mode every worker must run programs in. */
  workerSandbox: z
    .enum(["root", "userns"])
    .optional()
    .describe("with --executor queue: the sandbox mode workers must use, root (a dedicated uid) or userns (default root)"),
  timeoutSec: z.number().positive().default(45).describe("per-program deadline in seconds"),
  instrumentation: z.boolean().default(true).describe("insert progress markers for partial credit"),
  instrumenter: z
    .enum(["ast", "lm"])
    .default("ast")
    .describe("who instruments: the AST instrumenter, or the frozen LM checked against it (falls back to AST)"),
  instrumentModel: z.string().optional().describe('the frozen model for --instrumenter lm (default: "base" on the trainer\'s server)'),
  /** For `executor: "simulate"`: the actions' durations and rewards (default DEFAULT_SIM_MODEL). */
  simModel: SimulationModel.optional(),
});
export type EnvConfig = z.infer<typeof EnvConfig>;

/** How a valid submission is rewarded (docs/reward.md); the paper's rule is validBonus 0, no floor, quality 0. */
export const RewardSettings = z.object({
  validBonus: z.number().default(5).describe("added to every valid submission's reward (keeps valid work above partial credit)"),
  scoreFloor: z.number().nullable().default(-1).describe("lowest direction-corrected score a valid submission counts at (none: no floor)"),
  qualityWeight: z
    .number()
    .nonnegative()
    .default(4)
    .describe("weight of the per-task quality scale between the median (0) and gold (1) thresholds; 0 scores the raw metric"),
  qualityFloor: z
    .number()
    .max(0)
    .default(-1)
    .describe("the point the quality scale bends toward below the median, in median-to-gold spans (never reached)"),
});
export type RewardSettings = z.infer<typeof RewardSettings>;

/**
 * Each task's test answers split by a hash of the id, like Kaggle's public and private leaderboards: the training
 * reward and every score-driven choice see only the reward split, every report shows only the report split.
 */
export const SplitConfig = z.object({
  reportFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.5)
    .describe("share of each task's test answers held out for reports (the report split); the rest is the reward split"),
  salt: z.string().min(1).default("split-v1").describe("salt of the answers split; another salt draws another split"),
  trainOn: z
    .enum(["reward", "all"])
    .default("reward")
    .describe(
      'answers the training reward scores: the reward split, or all of them (the paper\'s rule; reports then say "trained with test feedback")',
    ),
});
export type SplitConfig = z.infer<typeof SplitConfig>;

/** What a report says about test feedback during training. */
export function testFeedbackOf(split: Pick<SplitConfig, "trainOn"> | null): "reward split" | "all" {
  return split === null || split.trainOn === "all" ? "all" : "reward split";
}

export const POLICY_KINDS = ["fragment", "bandit", "openai"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/** Who samples and who trains. */
export const PolicyConfig = z.object({
  kind: z
    .enum(POLICY_KINDS)
    .optional()
    .describe("the built-in fragment LM, or a real LM behind an OpenAI-compatible server (openai); simulations use a bandit"),
  baseUrl: z.string().optional().describe("OpenAI-compatible server to sample from (vLLM, SGLang, the reference trainer)"),
  model: z.string().optional().describe('model name to sample (default "policy", or the trainer\'s adapter per version)'),
  api: z.enum(["chat", "completions"]).default("chat").describe("the server's API: chat or completions"),
  maxTokens: z.number().int().positive().default(2048).describe("longest answer sampled, in tokens"),
  trainer: z
    .enum(["inprocess", "http"])
    .optional()
    .describe("in-process (built-in policy) or a trainer server speaking docs/trainer-protocol.md (http)"),
  trainerUrl: z.string().optional().describe("address of the trainer server for --trainer http"),
  prior: z
    .enum(["mask", "soft"])
    .default("mask")
    .describe("how a fresh built-in policy samples: well-formed programs only (mask) or unconstrained under a stage-order prior (soft)"),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;

export const OptimConfig = z.object({
  lr: z.number().positive().optional().describe("Adam learning rate"),
  loss: z.enum(["ppo", "importance_sampling"]).default("ppo").describe("policy-gradient loss: ppo (clipped ratio) or importance_sampling"),
  clip: z.number().positive().default(0.2).describe("PPO clip range ε"),
  epochs: z.number().int().positive().default(4).describe("optimizer steps per batch (PPO epochs)"),
  explore: z.number().nonnegative().default(0.05).describe("β of the per-token exploration bonus (duration-weighted); 0 turns it off"),
});
export type OptimConfig = z.infer<typeof OptimConfig>;

/** The asynchronous loop's knobs (src/rl/loop.ts). */
export const LoopSettings = z.object({
  executors: z.number().int().positive().optional().describe("concurrent executions"),
  samplers: z.number().int().positive().optional().describe("concurrent sample requests"),
  batchSize: z.number().int().positive().default(4).describe("finished rollouts per update (B)"),
  maxStaleness: z.number().int().nonnegative().default(1).describe("policy versions a rollout may lag behind (S), enforced by pacing"),
  improveProb: z.number().min(0).max(1).default(0.5).describe("probability that a prompt asks to improve an earlier solution"),
  durationAware: z.boolean().default(true).describe("weight each update by Δt / mean Δt of the batch"),
  normalizeAdvantages: z.boolean().default(true).describe("divide advantages by the batch's reward standard deviation"),
  baselineMomentum: z.number().gt(0).max(1).default(0.3).describe("weight of the newest batch in the running reward baseline"),
  poolSize: z.number().int().positive().default(8).describe("earlier valid solutions kept per task for improve prompts"),
  keepCheckpoints: z.number().int().positive().default(2).describe("checkpoints kept on disk (the newest ones)"),
});
export type LoopSettings = z.infer<typeof LoopSettings>;

export const Budget = z.object({
  rollouts: z.number().int().positive().optional().describe("stop after this many finished rollouts"),
  minutes: z.number().positive().optional().describe("stop after this many minutes of training (virtual minutes when simulated)"),
});
export type Budget = z.infer<typeof Budget>;

export const RUN_CONFIG_VERSION = 2;

/** The stored shape, with the optional fields whose defaults depend on others. */
export const RunConfigShape = z.object({
  version: z.literal(RUN_CONFIG_VERSION).default(RUN_CONFIG_VERSION),
  tasks: z.array(z.string()).min(1).optional().describe("task ids"),
  seed: z.number().int().nonnegative().default(0).describe("seed of sampling, initialisation and prompt choice"),
  budget: Budget.prefault({}),
  env: EnvConfig.prefault({}),
  reward: RewardSettings.prefault({}),
  split: SplitConfig.prefault({}),
  policy: PolicyConfig.prefault({}),
  optim: OptimConfig.prefault({}),
  loop: LoopSettings.prefault({}),
});
export type RunConfigInput = z.input<typeof RunConfigShape>;

/** Learning rates that suit each policy: the bandit's logits move one step per arm; a LoRA needs tiny Adam steps. */
const LEARNING_RATES: Record<PolicyKind, number> = { fragment: 0.01, openai: 5e-5, bandit: 0.3 };

/** How each derived default is chosen, in words (for help text). */
export const DERIVED_DEFAULTS: Record<string, string> = {
  tasks: "all built-in tasks (simulated when --executor simulate)",
  "policy.kind": "fragment (bandit when --executor simulate)",
  "optim.lr": `${LEARNING_RATES.fragment} (fragment), ${LEARNING_RATES.openai} (openai), ${LEARNING_RATES.bandit} (bandit)`,
  "policy.trainer": "http for policy openai, else inprocess",
  "loop.executors": "one per core (64 when simulated)",
  "loop.samplers": "1 for the built-in policy, one per executor for openai",
  "budget.minutes": "10 when no --rollouts is given",
};

type Shape = z.output<typeof RunConfigShape>;
/** A resolved run config: every default filled in. */
export type RunConfig = Omit<Shape, "tasks" | "policy" | "optim" | "loop"> & {
  tasks: string[];
  policy: Shape["policy"] & { kind: PolicyKind; trainer: "inprocess" | "http" };
  optim: Shape["optim"] & { lr: number };
  loop: Shape["loop"] & { executors: number; samplers: number };
};

function resolve(c: Shape, ctx: z.RefinementCtx): RunConfig {
  const simulate = c.env.executor === "simulate";
  const kind = c.policy.kind ?? (simulate ? "bandit" : "fragment");
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (kind === "bandit" && !simulate) issue(["policy", "kind"], "the bandit policy only runs with executor simulate");
  if (simulate && kind !== "bandit") issue(["policy", "kind"], "simulated runs train the bandit policy");
  const trainer = c.policy.trainer ?? (kind === "openai" ? "http" : "inprocess");
  if (kind === "openai") {
    if (trainer !== "http") issue(["policy", "trainer"], "a real LM (policy openai) is trained by a trainer server: trainer http");
    if (!c.policy.baseUrl) issue(["policy", "baseUrl"], "policy openai needs the server to sample from");
    if (!c.policy.trainerUrl) issue(["policy", "trainerUrl"], "trainer http needs the trainer server's address");
  } else {
    for (const k of ["baseUrl", "model", "trainerUrl"] as const)
      if (c.policy[k] !== undefined) issue(["policy", k], "only applies to policy openai");
    if (c.env.instrumentModel !== undefined) issue(["env", "instrumentModel"], "only applies to policy openai");
    if (trainer === "http") issue(["policy", "trainer"], "a trainer server trains a real LM: it needs policy openai");
  }
  for (const k of ["baseUrl", "trainerUrl"] as const) {
    const url = c.policy[k];
    if (url !== undefined && !/^https?:\/\//.test(url)) issue(["policy", k], `must be an http(s) URL, got '${url}'`);
  }
  if (c.env.instrumenter === "lm" && !c.env.instrumentation)
    issue(["env", "instrumenter"], "the LM instrumenter conflicts with instrumentation off");
  if (c.env.instrumenter === "lm" && kind !== "openai")
    issue(["env", "instrumenter"], "the LM instrumenter is the real policy's frozen base model: it needs policy openai");
  if (c.env.executor === "queue" && !c.env.redisUrl) issue(["env", "redisUrl"], "executor queue needs the Redis URL of the job queue");
  const executors = c.loop.executors ?? (simulate ? 64 : availableParallelism());
  return {
    ...c,
    tasks: c.tasks ?? (simulate ? ["simulated"] : [...BUILTIN_TASK_IDS]),
    budget: c.budget.rollouts === undefined && c.budget.minutes === undefined ? { minutes: 10 } : c.budget,
    policy: { ...c.policy, kind, trainer },
    optim: { ...c.optim, lr: c.optim.lr ?? LEARNING_RATES[kind] },
    loop: { ...c.loop, executors, samplers: c.loop.samplers ?? (kind === "openai" ? executors : 1) },
  };
}

/** Parses and resolves a run config; `RunConfig.parse({})` is a bare `mlerl train`. */
export const RunConfig = RunConfigShape.transform(resolve);

/** A config as callers write it: any subset of the nested shape. */
export function runConfig(input: RunConfigInput = {}): RunConfig {
  return RunConfig.parse(input);
}

/** Applies a partial override to a config, field by field (nested objects merge). */
export function withOverrides(base: RunConfigInput, over: RunConfigInput): RunConfigInput {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b) ? { ...b, ...v } : v;
  }
  return out as RunConfigInput;
}

/** The two servers of a real-LM run (RunConfig refuses a policy openai without them). */
export function lmUrls(policy: Pick<PolicyConfig, "baseUrl" | "trainerUrl">): { baseUrl: string; trainerUrl: string } {
  if (!policy.baseUrl || !policy.trainerUrl)
    throw new Error("policy openai without baseUrl and trainerUrl: parse the config with RunConfig");
  return { baseUrl: policy.baseUrl, trainerUrl: policy.trainerUrl };
}

/** The ablation variants of the method (paper §4): the full method and one idea switched off at a time. */
export const METHOD_VARIANTS = {
  rl: {},
  "rl-no-duration": { loop: { durationAware: false } },
  "rl-no-instrumentation": { env: { instrumentation: false } },
  "rl-no-improve": { loop: { improveProb: 0 } },
} as const satisfies Record<string, RunConfigInput>;
export type MethodVariant = keyof typeof METHOD_VARIANTS;

/**
 * The label a training run is reported under: "rl" for the full method, the ablation's name when exactly one of
 * the three ideas is off, and the ideas that are off joined by "+" otherwise.
 */
export function methodOf(config: Pick<RunConfig, "env" | "loop">): string {
  const off: string[] = [];
  if (!config.loop.durationAware) off.push("duration");
  if (!config.env.instrumentation) off.push("instrumentation");
  if (config.loop.improveProb === 0) off.push("improve");
  return off.length === 0 ? "rl" : `rl-no-${off.join("+")}`;
}

/** The flat config mlerl 0.1 stored (no `version`); read only to migrate it. */
const ConfigV1 = z.object({
  tasks: z.array(z.string()).min(1),
  policy: z.enum(POLICY_KINDS),
  baseUrl: z.string().optional(),
  model: z.string().optional(),
  api: z.enum(["chat", "completions"]).optional(),
  maxTokens: z.number().int().positive().optional(),
  trainer: z.enum(["inprocess", "http"]).default("inprocess"),
  trainerUrl: z.string().optional(),
  instrumenter: z.enum(["ast", "lm"]).default("ast"),
  instrumentModel: z.string().optional(),
  executor: z.enum(["sandbox", "unsandboxed", "simulate"]),
  maxRollouts: z.number().int().positive().optional(),
  maxMinutes: z.number().positive().optional(),
  executors: z.number().int().positive(),
  samplers: z.number().int().positive().optional(),
  batchSize: z.number().int().positive(),
  maxStaleness: z.number().int().nonnegative(),
  improveProb: z.number().min(0).max(1),
  durationAware: z.boolean(),
  instrumentation: z.boolean(),
  normalizeAdvantages: z.boolean(),
  seed: z.number().int().nonnegative(),
  learningRate: z.number().positive(),
  loss: z.enum(["ppo", "importance_sampling"]),
  clip: z.number().positive(),
  // 0.1's schema defaulted epochs to 1 while every writer passed 4; a stored config always has it.
  epochs: z.number().int().positive().default(1),
  validBonus: z.number().default(5),
  scoreFloor: z.number().nullable().default(-1),
  qualityWeight: z.number().nonnegative().default(4),
  qualityFloor: z.number().max(0).default(-1),
  explorationBonus: z.number().nonnegative().default(0.05),
  timeoutSec: z.number().positive(),
  simModel: SimulationModel.optional(),
});

function fromV1(c: z.infer<typeof ConfigV1>): RunConfigInput {
  return {
    version: RUN_CONFIG_VERSION,
    tasks: c.tasks,
    seed: c.seed,
    budget: { rollouts: c.maxRollouts, minutes: c.maxMinutes },
    env: {
      executor: c.executor,
      timeoutSec: c.timeoutSec,
      instrumentation: c.instrumentation,
      instrumenter: c.instrumenter,
      instrumentModel: c.instrumentModel,
      simModel: c.simModel,
    },
    reward: { validBonus: c.validBonus, scoreFloor: c.scoreFloor, qualityWeight: c.qualityWeight, qualityFloor: c.qualityFloor },
    // mlerl 0.1 rewarded the score on every test answer.
    split: { trainOn: "all" },
    policy: {
      kind: c.policy,
      baseUrl: c.baseUrl,
      model: c.model,
      api: c.api,
      maxTokens: c.maxTokens,
      trainer: c.trainer,
      trainerUrl: c.trainerUrl,
    },
    optim: { lr: c.learningRate, loss: c.loss, clip: c.clip, epochs: c.epochs, explore: c.explorationBonus },
    loop: {
      executors: c.executors,
      samplers: c.samplers,
      batchSize: c.batchSize,
      maxStaleness: c.maxStaleness,
      improveProb: c.improveProb,
      durationAware: c.durationAware,
      normalizeAdvantages: c.normalizeAdvantages,
    },
  };
}

/** A stored config in any version this mlerl reads: the current one, or 0.1's flat shape migrated. */
export const StoredRunConfig = z.union([
  RunConfigShape.extend({ version: z.literal(RUN_CONFIG_VERSION) }).transform(resolve),
  ConfigV1.transform((c, ctx) => {
    const r = RunConfig.safeParse(fromV1(c));
    if (r.success) return r.data;
    for (const i of r.error.issues) ctx.addIssue({ code: "custom", path: i.path, message: i.message });
    return z.NEVER;
  }),
]);

/** The environment and reward of a bare `mlerl train`, for evaluations and baselines without a run config. */
export const DEFAULT_ENV: EnvConfig = EnvConfig.parse({});
export const DEFAULT_REWARD_SETTINGS: RewardSettings = RewardSettings.parse({});
export const DEFAULT_SPLIT_CONFIG: SplitConfig = SplitConfig.parse({});

export const BASELINE_METHODS = ["aide", "random"] as const;
export const BaselineMethod = z.enum(BASELINE_METHODS);
export type BaselineMethod = z.infer<typeof BaselineMethod>;

/** AIDE's search settings (MLE-bench's AIDE agent). */
export const AideSettings = z.object({
  numDrafts: z.number().int().positive(),
  debugProb: z.number().min(0).max(1),
  maxDebugDepth: z.number().int().nonnegative(),
});
export type AideSettings = z.infer<typeof AideSettings>;

/** What a baseline run was started with, as its store keeps it. */
export const BaselineConfig = z.object({
  method: BaselineMethod,
  tasks: z.array(z.string()).min(1),
  seeds: z.array(z.number().int()).min(1),
  budget: z.object({ executions: z.number().int().positive().nullable(), minutes: z.number().positive().nullable(), per: z.string() }),
  executors: z.number().int().positive(),
  executor: z.string(),
  timeoutSec: z.number().positive(),
  sampler: z.string(),
  aide: AideSettings.optional(),
  policySeed: z.number().int().optional(),
  /** The answers split its records were scored on (absent for runs of mlerl 0.1). */
  split: SplitConfig.pick({ reportFraction: true, salt: true }).optional(),
});
export type BaselineConfig = z.infer<typeof BaselineConfig>;
