/** Real run directories for report tests: run.sqlite written through RunStore, eval.json through the eval schema. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { EvalResult, taskResult, type EvalAttempt, type EvalThresholds } from "../../src/eval/result.js";
import type { FailureKind, Milestone, RolloutRecord } from "../../src/core/rollout.js";
import { UpdateStats } from "../../src/core/update.js";
import { simulatedRecord } from "../../src/rollout/simulated.js";
import { RunStore } from "../../src/store/run-store.js";
import { tempDir } from "../agent/tmp.js";
export { tempDir };

export interface FixtureRollout {
  taskId: string;
  kind?: "scratch" | "improve";
  /** Seconds on the run's clock. */
  startedAt: number;
  wallSec: number;
  validSubmission: boolean;
  score: number | null;
  failureKind?: FailureKind;
  milestones?: Milestone[];
  reward?: number;
  /** Baseline runs tag each record with the seed of the search it belongs to. */
  seed?: number;
}

/** The record a rollout like this would have stored. */
function recordOf(r: FixtureRollout, reward: number): RolloutRecord {
  const base = simulatedRecord({ reward, wallSec: r.wallSec, failed: !r.validSubmission });
  const failureKind = r.failureKind ?? (r.validSubmission ? "none" : "runtime_error");
  const milestones = r.milestones ?? [];
  return {
    ...base,
    instrumentation: { ...base.instrumentation, credited: milestones.map((m, i) => ({ milestone: m, kind: m, line: i + 1 })) },
    reward: {
      reward,
      score: r.score,
      validSubmission: r.validSubmission,
      milestonesReached: milestones,
      failureKind,
      validationMetric: r.score,
      wallSec: r.wallSec,
    },
    feedback: {
      ...base.feedback,
      failureKind,
      milestones: milestones.length,
      validationMetric: r.score,
      validSubmission: r.validSubmission,
    },
    ...(r.seed !== undefined ? { search: { seed: r.seed, step: "random" as const, node: null } } : {}),
  };
}

/** Writes a run directory the way training and baselines do; `clockOffset` mimics epoch-second timestamps. */
export function writeRun(
  dir: string,
  opts: {
    method?: string;
    label?: string;
    rollouts: readonly FixtureRollout[];
    updateEvery?: number;
    clockOffset?: number;
    elapsedSec?: number;
    config?: Record<string, unknown>;
  },
): void {
  const store = RunStore.open(dir);
  try {
    if (opts.method !== undefined) store.setMeta("method", opts.method);
    if (opts.label !== undefined) store.setMeta("label", opts.label);
    if (opts.config !== undefined) store.setMeta("config", JSON.stringify(opts.config));
    if (opts.elapsedSec !== undefined) store.setMeta("elapsed_sec", String(opts.elapsedSec));
    const off = opts.clockOffset ?? 0;
    const pending: number[] = [];
    let version = 0;
    for (const r of opts.rollouts) {
      const id = store.startRollout({
        taskId: r.taskId,
        kind: r.kind ?? "scratch",
        parentId: null,
        action: { code: "", policyVersion: version, payload: null },
        startedAt: off + r.startedAt,
      });
      const reward = r.reward ?? (r.validSubmission ? (r.score ?? 0) + 2 : 0.1 * (r.milestones?.length ?? 0) || -10);
      store.finishRollout(id, recordOf(r, reward), off + r.startedAt + r.wallSec);
      pending.push(id);
      if (opts.updateEvery && pending.length === opts.updateEvery) {
        version += 1;
        store.recordUpdate({
          version,
          createdAt: off + r.startedAt + r.wallSec,
          stats: UpdateStats.parse({ version, n: pending.length, meanDt: 1, meanReward: 0, loss: 0, kl: 0, rolloutIds: pending.splice(0) }),
          checkpoint: null,
        });
      }
    }
  } finally {
    store.close();
  }
}

export const THRESHOLDS: EvalThresholds = { gold: 0.9, silver: 0.85, bronze: 0.8, median: 0.7 };

/** eval.json for one method: per task, attempts of `seeds` × `samples` with the given test scores (null = invalid). */
export function writeEval(
  dir: string,
  method: string,
  tasks: readonly { taskId: string; lowerIsBetter: boolean; scores: readonly (readonly (number | null)[])[] }[],
): EvalResult {
  mkdirSync(dir, { recursive: true });
  const result: EvalResult = {
    kind: "eval",
    method,
    source: { runDir: dir, checkpoint: null },
    samples: Math.max(...tasks.map((t) => t.scores[0]?.length ?? 1)),
    seeds: tasks[0]!.scores.map((_, i) => i),
    createdAt: new Date(0).toISOString(),
    tasks: tasks.map((t) => {
      const attempts: EvalAttempt[] = t.scores.flatMap((perSeed, seed) =>
        perSeed.map((score, sample) => ({
          seed,
          sample,
          selected: score === null ? null : "scratch",
          testScore: score,
          validationMetric: score,
          valid: score !== null,
          medal: null,
          wallSec: 1,
        })),
      );
      return taskResult(
        { taskId: t.taskId, metric: t.lowerIsBetter ? "log_loss" : "roc_auc", lowerIsBetter: t.lowerIsBetter, thresholds: THRESHOLDS },
        attempts,
      );
    }),
  };
  writeFileSync(join(dir, "eval.json"), JSON.stringify(EvalResult.parse(result)));
  return result;
}

/** A small deterministic generator for random fixtures (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DecodedPng {
  width: number;
  height: number;
  /** Gray level (mean of R, G, B) of every pixel, row by row. */
  gray: Float64Array;
}

/** Decodes an 8-bit, non-interlaced RGB/RGBA PNG (what resvg writes): chunks, zlib, per-row filters. */
export function decodePng(buf: Buffer): DecodedPng {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!buf.subarray(0, 8).equals(sig)) throw new Error("not a PNG: bad signature");
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("ascii", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colorType = data[9];
      if (depth !== 8 || data[12] !== 0) throw new Error(`unsupported PNG: depth ${depth}, interlace ${data[12]}`);
      channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
      if (channels === 0) throw new Error(`unsupported PNG colour type ${colorType}`);
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (line[x]! + pred) & 0xff;
    }
  }
  const gray = new Float64Array(width * height);
  for (let i = 0; i < width * height; i++) gray[i] = (out[i * channels]! + out[i * channels + 1]! + out[i * channels + 2]!) / 3;
  return { width, height, gray };
}
