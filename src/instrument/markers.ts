/**
 * Reading markers back from a program's stdout. Only markers carrying this execution's tag for their kind
 * count: a program that prints marker-shaped lines itself (copied from an earlier run, guessed, or rebuilt
 * from its own source) earns nothing, because it never sees the nonce or the tags derived from it.
 */
import { markerTag } from "./nonce.js";
import { MARKER_KINDS, MILESTONES, milestoneOf, type MarkerKind, type Milestone } from "./types.js";

export interface MilestoneHit {
  milestone: Milestone;
  kind: MarkerKind;
  /** Byte offset of the marker in stdout (UTF-8). */
  offset: number;
  /** 1-based line of stdout the marker starts on. */
  line: number;
}

export interface MarkerReport {
  /** First hit of each milestone reached, in the order reached. */
  reached: MilestoneHit[];
  /** Distinct milestones reached, in MILESTONES order. */
  milestones: Milestone[];
  /** The last validation metric reported (a captured variable or a printed value), or null. */
  validationMetric: number | null;
  /** Marker-shaped lines whose tag is wrong for this execution (forged or from another run). */
  rejected: number;
}

const MARKER = /@@mlerl ([0-9a-f]{32}) ([a-z_]+)(?: ([^\s]+))?\n?/g;

/** Finds the genuine markers of this execution in `stdout`. */
export function parseMarkers(stdout: string, nonce: string): MarkerReport {
  const tags = new Map<string, MarkerKind>(MARKER_KINDS.map((k) => [markerTag(nonce, k), k]));
  const reached: MilestoneHit[] = [];
  const seen = new Set<Milestone>();
  let validationMetric: number | null = null;
  let rejected = 0;
  let cleanBefore = ""; // stdout up to the current marker with genuine markers removed
  let last = 0;
  for (const m of stdout.matchAll(MARKER)) {
    const kind = tags.get(m[1]!);
    if (kind === undefined || kind !== m[2]) {
      rejected++;
      continue;
    }
    const at = m.index;
    cleanBefore += stdout.slice(last, at);
    last = at + m[0].length;
    let value: number | null = null;
    if (kind === "metric") value = parseFloatStrict(m[3]);
    else if (kind === "metric_printed") value = metricFromPrintedLine(lastLine(cleanBefore));
    if (value !== null) validationMetric = value;
    const milestone = milestoneOf(kind);
    if (kind === "metric_printed" && value === null) continue; // a print we could not read a number from
    if (seen.has(milestone)) continue;
    seen.add(milestone);
    const before = stdout.slice(0, at);
    reached.push({ milestone, kind, offset: Buffer.byteLength(before), line: before.split("\n").length });
  }
  return { reached, milestones: MILESTONES.filter((x) => seen.has(x)), validationMetric, rejected };
}

/** stdout without this execution's genuine markers: exactly what the program itself printed. */
export function stripMarkers(stdout: string, nonce: string): string {
  const tags = new Map<string, MarkerKind>(MARKER_KINDS.map((k) => [markerTag(nonce, k), k]));
  return stdout.replace(MARKER, (whole, tag: string, kind: string) => (tags.get(tag) === kind ? "" : whole));
}

function parseFloatStrict(s: string | undefined): number | null {
  if (s === undefined) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

function lastLine(text: string): string {
  const trimmed = text.endsWith("\n") ? text.slice(0, -1) : text;
  const i = trimmed.lastIndexOf("\n");
  return trimmed.slice(i + 1);
}

const NUMBER = /[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?/g;
const METRIC_WORD = /(auc|acc(?:uracy)?|log[ _-]?loss|rmsle|rmse|mse|mae|f1|kappa|qwk|jaccard|r2|score|metric|loss)/i;

/**
 * The metric value on a printed line such as "Fold 3 validation AUC: 0.91234" or "rmsle=0.0712 (best)":
 * the first decimal number after a metric word, else the last decimal number, else the last number.
 */
export function metricFromPrintedLine(line: string): number | null {
  const numbers = [...line.matchAll(NUMBER)].map((m) => ({ at: m.index, text: m[0] }));
  if (numbers.length === 0) return null;
  const decimal = (t: string) => /[.eE]/.test(t);
  const word = METRIC_WORD.exec(line);
  const afterWord = word ? numbers.find((n) => n.at >= word.index + word[0].length && decimal(n.text)) : undefined;
  const pick = afterWord ?? [...numbers].reverse().find((n) => decimal(n.text)) ?? numbers[numbers.length - 1]!;
  const v = Number(pick.text);
  return Number.isFinite(v) ? v : null;
}
