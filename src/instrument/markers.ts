/**
 * Reading markers back from a program's stdout. Only markers carrying this execution's tag for their kind
 * count: a program that prints marker-shaped lines itself (copied from an earlier run, guessed, or rebuilt
 * from its own source) earns nothing, because it never sees the nonce or the tags derived from it.
 */
import { z } from "zod";
import { markerTags } from "./nonce.js";
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
  /**
   * Genuine tags seen again: the launcher writes every marker line once, so a repeat is a copy the program made
   * (a captured line printed again, e.g. with another metric value).
   */
  replayed: number;
}

/** A marker report read from outside (a queue worker's scan), checked before use. */
export const MarkerReportSchema = z.object({
  reached: z.array(
    z.object({
      milestone: z.enum(MILESTONES),
      kind: z.enum(MARKER_KINDS),
      offset: z.number().int().nonnegative(),
      line: z.number().int().positive(),
    }),
  ),
  milestones: z.array(z.enum(MILESTONES)),
  validationMetric: z.number().nullable(),
  rejected: z.number().int().nonnegative(),
  replayed: z.number().int().nonnegative(),
});

const MARKER = /@@mlerl ([0-9a-f]{32}) ([a-z_]+)(?: ([^\s]+))?\n?/g;
/** Longest unfinished line kept between chunks: a marker is < 100 bytes; the rest only feeds metric_printed. */
const MAX_CARRY = 4096;

/**
 * Reads markers from stdout as it streams, chunk by chunk, so an executor can collect them before it drops
 * the middle of a long output (markers in the dropped part would otherwise be lost). Offsets and lines are
 * those of the whole stream. `parseMarkers` is this over one string.
 */
export class MarkerScanner {
  private readonly tags: Map<string, MarkerKind>;
  private readonly reached: MilestoneHit[] = [];
  private readonly seen = new Set<Milestone>();
  private validationMetric: number | null = null;
  private rejected = 0;
  private replayed = 0;
  private readonly used = new Set<string>();
  /** Unfinished last line (a marker may still complete it). */
  private carry = "";
  /** Bytes and lines of the stream before `carry`. */
  private bytesBefore = 0;
  private linesBefore = 0;
  /** The program's own output (markers removed): its last finished line and the unfinished one, for metric_printed. */
  private out: OutputTail = { complete: "", open: "" };

  /** From the nonce, or from its tags alone (where the program runs elsewhere, the nonce never goes there). */
  constructor(nonce: string | ReadonlyMap<string, MarkerKind>) {
    this.tags = new Map(typeof nonce === "string" ? markerTags(nonce) : nonce);
  }

  push(chunk: string | Buffer): this {
    const text = this.carry + (typeof chunk === "string" ? chunk : chunk.toString("utf8"));
    const cut = text.lastIndexOf("\n") + 1;
    this.scan(text.slice(0, cut));
    this.carry = text.slice(cut);
    if (this.carry.length > MAX_CARRY && !this.carry.includes("@@mlerl", this.carry.length - 200)) {
      // A flood without newlines: account for the head and keep only the tail.
      const drop = this.carry.slice(0, this.carry.length - 200);
      this.account(drop);
      this.carry = this.carry.slice(drop.length);
    }
    return this;
  }

  finish(): MarkerReport {
    this.scan(this.carry);
    this.carry = "";
    return {
      reached: [...this.reached],
      milestones: MILESTONES.filter((m) => this.seen.has(m)),
      validationMetric: this.validationMetric,
      rejected: this.rejected,
      replayed: this.replayed,
    };
  }

  private account(text: string): void {
    this.bytesBefore += Buffer.byteLength(text);
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) this.linesBefore++;
    this.out = follow(this.out, text);
  }

  /** Scans complete text (ends at a line end, or at the end of the stream). */
  private scan(text: string): void {
    let last = 0;
    for (const m of text.matchAll(MARKER)) {
      const kind = this.tags.get(m[1]!);
      if (kind === undefined || kind !== m[2]) {
        this.rejected++;
        continue;
      }
      if (this.used.has(m[1]!)) {
        this.replayed++;
        continue;
      }
      this.used.add(m[1]!);
      const at = m.index;
      this.out = follow(this.out, text.slice(last, at));
      const offset = this.bytesBefore + Buffer.byteLength(text.slice(0, at));
      const line = this.linesBefore + countNewlines(text, at) + 1;
      last = at + m[0].length;
      let value: number | null = null;
      if (kind === "metric") value = parseFloatStrict(m[3]);
      // The line a metric print just wrote (normally finished by its newline; else still open).
      else if (kind === "metric_printed") value = metricFromPrintedLine(this.out.open !== "" ? this.out.open : this.out.complete);
      if (value !== null) this.validationMetric = value;
      if (kind === "metric_printed" && value === null) continue; // a print we could not read a number from
      const milestone = milestoneOf(kind);
      if (this.seen.has(milestone)) continue;
      this.seen.add(milestone);
      this.reached.push({ milestone, kind, offset, line });
    }
    this.out = follow(this.out, text.slice(last));
    this.bytesBefore += Buffer.byteLength(text);
    this.linesBefore += countNewlines(text, text.length);
  }
}

interface OutputTail {
  complete: string;
  open: string;
}

/** The output tail after `more` output: the last finished line and what is still unfinished. */
function follow(tail: OutputTail, more: string): OutputTail {
  const keep = 1000; // a metric line is short; bound the memory a newline-free flood can take
  const all = tail.open + more;
  const nl = all.lastIndexOf("\n");
  if (nl === -1) return { complete: tail.complete, open: all.slice(-keep) };
  const prev = all.lastIndexOf("\n", nl - 1);
  return { complete: all.slice(prev + 1, nl).slice(-keep), open: all.slice(nl + 1).slice(-keep) };
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < end; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** Finds the genuine markers of this execution in `stdout`. */
export function parseMarkers(stdout: string, nonce: string): MarkerReport {
  return new MarkerScanner(nonce).push(stdout).finish();
}

/** stdout without this execution's genuine markers: exactly what the program itself printed. */
export function stripMarkers(stdout: string, nonce: string | ReadonlyMap<string, MarkerKind>): string {
  const tags = typeof nonce === "string" ? markerTags(nonce) : nonce;
  return stdout.replace(MARKER, (whole, tag: string, kind: string) => (tags.get(tag) === kind ? "" : whole));
}

function parseFloatStrict(s: string | undefined): number | null {
  if (s === undefined) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
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
