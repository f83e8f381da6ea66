/**
 * Does training teach the policy anything on a task? A default training run against the untrained policy on the
 * same task, seed and number of rollouts: the trained run's last fifth should earn more reward and more valid
 * submissions than its first fifth, and its best valid score should beat the best of as many samples from the
 * policy at initialisation. Resumable like the ablation study: finished runs are kept, cut ones resumed.
 */
import { join } from "node:path";
import { RunConfig, withOverrides, type RunConfigInput } from "../core/config.js";
import { reportScoreOf } from "../core/rollout.js";
import { better } from "../core/task.js";
import { RunStore } from "../store/run-store.js";
import { train } from "./train.js";
import { runState } from "./ablate.js";

/**
 * The untrained policy is sampled through the same loop, executors and deadline as the trained one; a learning
 * rate of 1e-9 moves Adam's weights by about 1e-9 per step, which changes no sampled probability measurably.
 * Improve prompts are off: they would start from the untrained policy's own earlier solutions, a search the
 * untrained baseline is not meant to do.
 */
export const UNTRAINED = { optim: { lr: 1e-9, explore: 0 }, loop: { improveProb: 0 } } as const satisfies RunConfigInput;

export interface LearningRow {
  id: number;
  finishedAt: number;
  reward: number;
  valid: boolean;
  score: number | null;
}

export interface FifthOf {
  meanReward: number;
  validShare: number;
}

export interface RunSide {
  first: FifthOf;
  last: FifthOf;
  best: number | null;
}

export interface LearningVerdict {
  /** Rollouts compared on each side: the shorter run's count, the first ones started. */
  n: number;
  trained: RunSide;
  untrained: RunSide;
  rewardUp: boolean;
  validUp: boolean;
  /** The trained run's best valid score beats the untrained one's (or the untrained one has none). */
  bestBeats: boolean;
}

/** Finished rollouts of one task in a run, in the order they started. */
export function learningRows(store: RunStore, taskId: string): LearningRow[] {
  return store
    .rollouts()
    .filter((r) => r.taskId === taskId && r.status !== "running" && r.record !== null)
    .sort((a, b) => a.id - b.id)
    .map((r) => {
      const o = r.record!.reward;
      const reportScore = reportScoreOf(r.record!);
      return {
        id: r.id,
        finishedAt: r.finishedAt ?? 0,
        reward: o.reward,
        valid: reportScore !== null,
        score: reportScore,
      };
    });
}

function side(rows: readonly LearningRow[], lowerIsBetter: boolean): RunSide {
  // Fifths in finishing order: what the learner had seen by then, as in `mlerl train --json`.
  const byFinish = [...rows].sort((a, b) => a.finishedAt - b.finishedAt || a.id - b.id);
  const k = Math.max(1, Math.floor(byFinish.length / 5));
  const fifth = (xs: readonly LearningRow[]): FifthOf => ({
    meanReward: xs.length ? xs.reduce((a, r) => a + r.reward, 0) / xs.length : 0,
    validShare: xs.length ? xs.filter((r) => r.valid).length / xs.length : 0,
  });
  let best: number | null = null;
  for (const r of rows) {
    if (!r.valid || r.score === null) continue;
    if (best === null || better(r.score, best, lowerIsBetter)) best = r.score;
  }
  return { first: fifth(byFinish.slice(0, k)), last: fifth(byFinish.slice(-k)), best };
}

/** Pure: the three criteria on the first n rollouts started on each side, n being the shorter run's count. */
export function learningVerdict(
  trained: readonly LearningRow[],
  untrained: readonly LearningRow[],
  lowerIsBetter: boolean,
): LearningVerdict {
  const n = Math.min(trained.length, untrained.length);
  const t = side(trained.slice(0, n), lowerIsBetter);
  const u = side(untrained.slice(0, n), lowerIsBetter);
  const bestBeats = t.best !== null && (u.best === null || better(t.best, u.best, lowerIsBetter));
  return {
    n,
    trained: t,
    untrained: u,
    rewardUp: t.last.meanReward > t.first.meanReward,
    validUp: t.last.validShare > t.first.validShare,
    bestBeats,
  };
}

export interface LearningPlanItem {
  taskId: string;
  kind: "trained" | "untrained";
  runDir: string;
  config: RunConfig;
}

/** Pure: per task, a default training run and the untrained policy's run on the same seed and rollout count. */
export function learningPlan(opts: {
  outDir: string;
  tasks: readonly string[];
  rollouts: number;
  seed: number;
  base?: RunConfigInput;
}): LearningPlanItem[] {
  return opts.tasks.flatMap((taskId) =>
    (["trained", "untrained"] as const).map((kind) => ({
      taskId,
      kind,
      runDir: join(opts.outDir, taskId, kind),
      config: RunConfig.parse(
        withOverrides(
          withOverrides(opts.base ?? {}, { tasks: [taskId], seed: opts.seed, budget: { rollouts: opts.rollouts, minutes: undefined } }),
          kind === "untrained" ? UNTRAINED : {},
        ),
      ),
    })),
  );
}

/** Runs (or resumes) every planned run, then compares each task's pair. Stops early, resumable, on abort. */
export async function runLearningCheck(opts: {
  plan: LearningPlanItem[];
  dataDir: string;
  lowerIsBetter: (taskId: string) => boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}): Promise<Array<{ taskId: string; verdict: LearningVerdict }>> {
  const log = opts.log ?? (() => {});
  for (const [i, item] of opts.plan.entries()) {
    if (opts.signal?.aborted) break;
    const state = runState(item.runDir);
    const tag = `[${i + 1}/${opts.plan.length}] ${item.taskId} ${item.kind}`;
    if (state === "done") {
      log(`${tag}: already finished (${item.runDir})`);
      continue;
    }
    log(`${tag}: ${state === "partial" ? "resuming" : "training"} (${item.runDir})`);
    await train({
      runDir: item.runDir,
      config: item.config,
      dataDir: opts.dataDir,
      resume: state === "partial",
      ...(opts.signal ? { signal: opts.signal } : {}),
      log,
    });
  }
  const out: Array<{ taskId: string; verdict: LearningVerdict }> = [];
  for (const taskId of [...new Set(opts.plan.map((p) => p.taskId))]) {
    const trained = opts.plan.find((p) => p.taskId === taskId && p.kind === "trained");
    const untrained = opts.plan.find((p) => p.taskId === taskId && p.kind === "untrained");
    if (!trained || !untrained || runState(trained.runDir) !== "done" || runState(untrained.runDir) !== "done") continue;
    const rowsOf = (dir: string) => {
      const store = RunStore.openReadonly(dir);
      try {
        return learningRows(store, taskId);
      } finally {
        store.close();
      }
    };
    out.push({ taskId, verdict: learningVerdict(rowsOf(trained.runDir), rowsOf(untrained.runDir), opts.lowerIsBetter(taskId)) });
  }
  return out;
}

/** The per-task table `mlerl learning-check` prints. */
export function learningTable(results: ReadonlyArray<{ taskId: string; verdict: LearningVerdict }>): string {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const mark = (ok: boolean) => (ok ? "yes" : "NO");
  const lines = [
    "| task | n | reward first → last fifth | valid first → last fifth | best: trained vs untrained | reward up | valid up | best beats |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const { taskId, verdict: v } of results) {
    lines.push(
      `| ${taskId} | ${v.n} | ${v.trained.first.meanReward.toFixed(2)} → ${v.trained.last.meanReward.toFixed(2)} | ${pct(v.trained.first.validShare)} → ${pct(v.trained.last.validShare)} | ${v.trained.best ?? "–"} vs ${v.untrained.best ?? "–"} | ${mark(v.rewardUp)} | ${mark(v.validUp)} | ${mark(v.bestBeats)} |`,
    );
  }
  return lines.join("\n");
}
