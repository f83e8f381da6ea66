import { createHash } from "node:crypto";
import { MetricName, TargetKind } from "../core/task.js";
import { FRAGMENTS, type Fragment } from "./fragments.js";
import { FEEDBACK_FAILURES, FEEDBACK_STAGES } from "./types.js";

/** End of program: the first output token. */
export const EOS = "<end>";
export const PAD = "<pad>";
export const BOS = "<bos>";
/** Ends the prompt; the program starts after it. */
export const SEP = "<program>";
export const SCRATCH = "<scratch>";
export const IMPROVE = "<improve>";
/** Precedes the previous program's fragments in an improve prompt. */
export const PREVIOUS = "<previous>";

export const SCORE_BUCKETS = ["none", "q0", "q1", "q2", "q3", "q4"] as const;
export type ScoreBucket = (typeof SCORE_BUCKETS)[number];

/** Task descriptor tokens: everything the policy knows about a task before it writes code. */
export const DESCRIPTORS: readonly string[] = [
  "modality:tabular",
  "modality:text",
  ...TargetKind.options.map((k) => `target:${k}`),
  ...MetricName.options.map((m) => `metric:${m}`),
  "has:numeric",
  "has:categorical",
  "has:text",
  "targets:1",
  "targets:2+",
  "classes:2",
  "classes:3-10",
  "classes:11+",
  "size:<1k",
  "size:1k-10k",
  "size:10k-100k",
  "size:100k+",
  "size:unknown",
];

/**
 * The fragment LM's vocabulary. Output tokens (end of program, then every code fragment) come first so that an
 * output index is also a token id; prompt-only tokens (control, feedback, descriptors) follow.
 */
export class Vocabulary {
  readonly tokens: readonly string[];
  readonly outputSize: number;
  private readonly ids: Map<string, number>;

  constructor(fragments: readonly Fragment[] = FRAGMENTS) {
    const output = [EOS, ...fragments.map((f) => f.name)];
    const control = [PAD, BOS, SEP, SCRATCH, IMPROVE, PREVIOUS];
    const feedback = [
      ...FEEDBACK_STAGES.map((s) => `reached:${s}`),
      ...FEEDBACK_FAILURES.map((f) => `failure:${f}`),
      ...SCORE_BUCKETS.map((b) => `score:${b}`),
    ];
    this.tokens = [...output, ...control, ...feedback, ...DESCRIPTORS];
    this.outputSize = output.length;
    this.ids = new Map(this.tokens.map((t, i) => [t, i]));
    if (this.ids.size !== this.tokens.length) throw new Error("duplicate token in the vocabulary");
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`token ${token} is not in the vocabulary`);
    return id;
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`token id ${id} is outside the vocabulary (size ${this.tokens.length})`);
    return t;
  }

  isOutput(id: number): boolean {
    return id >= 0 && id < this.outputSize;
  }

  /** A short fingerprint, stored with checkpoints so weights are never loaded against another vocabulary. */
  fingerprint(): string {
    return createHash("sha256").update(this.tokens.join("\n")).digest("hex").slice(0, 16);
  }
}
