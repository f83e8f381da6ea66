/**
 * Instrumentation: a frozen instrumenter marks the points of an agent program where progress is made, so a
 * run that fails half-way still shows how far it got (partial credit). See docs/instrumentation.md.
 */

import { MILESTONES, type Milestone } from "../core/rollout.js";
export { MILESTONES, type Milestone };

/**
 * What a site reports. `metric` carries the float value of a variable the program assigned a metric to;
 * `metric_printed` follows a print of a metric, whose value is read back from the printed line.
 * Both count as the `validation_metric` milestone.
 */
export const MARKER_KINDS = [
  "imports",
  "data_loaded",
  "features_built",
  "model_defined",
  "model_trained",
  "predictions_made",
  "submission_written",
  "metric",
  "metric_printed",
] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

export function milestoneOf(kind: MarkerKind): Milestone {
  return kind === "metric" || kind === "metric_printed" ? "validation_metric" : kind;
}

/** One inserted marker: a line with this indentation after original line `after` (0 = before line 1). */
export interface Site {
  after: number;
  indent: string;
  kind: MarkerKind;
  /** For `metric`: the expression (a dotted name) whose float value the marker carries. */
  value: string | null;
}

export interface InstrumentResult {
  /** The program with one marker print line per site; every other byte is the original's. */
  code: string;
  /** The sites, in program order: what the launcher turns into markers the program cannot forge. */
  sites: Site[];
  /** Milestones this program can report (distinct, in MILESTONES order). */
  milestones: Milestone[];
  /** False when the program did not parse; `code` is then the original, unchanged. */
  parsed: boolean;
  /** Why something was left out, e.g. "SyntaxError at line 12: ...; returned unchanged". */
  note?: string;
  /**
   * Why the program is outside the plain-ML profile (it is then started without markers and earns no partial
   * credit), or null. Always the AST instrumenter's verdict on the original source, never another instrumenter's.
   */
  tampering: { reasons: string[] } | null;
}

/**
 * Adds marker lines to a program. Implementations: the deterministic AST instrumenter (default) and a frozen LM
 * (src/instrument/lm.ts). An LM's output is accepted only if `checkInstrumented` says that deleting its marker lines gives
 * back the original exactly (src/instrument/text.ts); otherwise the caller falls back to the AST instrumenter.
 */
export interface Instrumenter {
  readonly name: string;
  instrument(code: string, nonce: string): Promise<InstrumentResult>;
  /** Releases helper processes, if any. */
  close?(): Promise<void>;
}

export function milestonesOf(sites: readonly Site[]): Milestone[] {
  const present = new Set(sites.map((s) => milestoneOf(s.kind)));
  return MILESTONES.filter((m) => present.has(m));
}
