/**
 * The trainer contract, modelled on Tinker: gradients accumulate over `forwardBackward` calls and are applied by
 * `optimStep`. A trainer knows tokens, behaviour log-probabilities and per-token advantages only; execution times,
 * rewards and baselines are folded into the advantages by the RL layer.
 */

/** One training sequence. All four arrays have the same length (one entry per predicted position). */
export interface Datum {
  /** Tokens fed to the model: prompt + completion without its last token. */
  modelInput: number[];
  /** The token each position should predict: modelInput shifted left by one. */
  targetTokens: number[];
  /** Behaviour log-probabilities of the targets (sampler's), 0 where unused (prompt positions). */
  logprobs: number[];
  /** Per-token advantage; 0 on prompt tokens (they are never trained). */
  advantages: number[];
}

export type LossName = "importance_sampling" | "ppo";

/**
 * Token-summed losses, with r = exp(logπ − logμ):
 * - importance_sampling: −Σ r·A
 * - ppo: −Σ min(r·A, clip(r, 1 − clipLow, 1 + clipHigh)·A)
 */
export interface LossSpec {
  name: LossName;
  /** PPO lower clip ε (ratio floor 1 − ε). Default 0.2. */
  clipLow?: number;
  /** PPO upper clip ε (ratio ceiling 1 + ε). Default 0.2. */
  clipHigh?: number;
}

export interface ForwardBackwardResult {
  /** The loss value of this call (token-summed over all datums). */
  loss: number;
  /** The learner's log-probabilities of every target, per datum (before this call's gradients are applied). */
  logprobs: number[][];
  metrics: {
    /** Tokens with a non-zero advantage. */
    trainedTokens: number;
    /** Share of trained tokens whose ratio fell outside the PPO clip range. */
    clipFraction: number;
    /** Mean ratio π/μ over trained tokens. */
    meanRatio: number;
    /** KL(μ‖π) estimate over trained tokens (k3 estimator: E[r − 1 − log r]). */
    kl: number;
  };
}

export interface AdamParams {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (AdamW). Default 0. */
  weightDecay?: number;
  /** Clip the global gradient norm to this value before the step (none when undefined). */
  maxGradNorm?: number;
}

export interface OptimStepResult {
  /** The new policy version. */
  version: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface Trainer {
  readonly name: string;
  /** Number of optimizer steps applied so far; samplers report the version their weights came from. */
  version(): number;
  forwardBackward(datums: Datum[], loss: LossSpec): Promise<ForwardBackwardResult>;
  optimStep(adam: AdamParams): Promise<OptimStepResult>;
  /** Write weights, optimizer state and version to a directory. */
  save(dir: string): Promise<void>;
  /** Restore weights, optimizer state and version from a directory written by `save`. */
  load(dir: string): Promise<void>;
}
