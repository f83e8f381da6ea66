import { setMaxListeners } from "node:events";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";
import { AdvantageEstimator, DEFAULT_ADVANTAGE, type AdvantageConfig } from "./advantage.js";
import { durationWeights } from "./duration.js";
import { ImprovePool } from "./improve-pool.js";
import { mayStart } from "./pacing.js";
import type { PolicyPort, PromptContext, RolloutOutcome, RolloutRunner, SampledAction } from "../core/rollout.js";
import type { PromptKind } from "./types.js";
import type { RolloutRow, RunStore } from "../store/run-store.js";
import { Rng } from "../util/random.js";

export interface LoopConfig {
  taskIds: string[];
  /** Concurrent executions (default: one per core). */
  executors: number;
  /**
   * Concurrent sample requests. Generation may run ahead of execution by `samplers − 1` programs, so a real LM's
   * generation time does not leave executors idle; sampled-but-waiting programs count as in flight for pacing.
   */
  samplers: number;
  /** Finished rollouts per update (B). */
  batchSize: number;
  /** S: how many policy versions a rollout may lag behind, enforced by pacing. */
  maxStaleness: number;
  /** Probability that a prompt asks to improve an earlier solution. */
  improveProb: number;
  durationAware: boolean;
  advantage: AdvantageConfig;
  /** Stop after this many finished rollouts (counting those of earlier, resumed sessions). */
  maxRollouts?: number;
  /** Stop after this many seconds of this session's clock. */
  maxSeconds?: number;
  seed: number;
  /** Earlier valid solutions kept per task for improve prompts. */
  poolSize: number;
  /** Checkpoints kept on disk (the newest ones). */
  keepCheckpoints: number;
  /** Write each program as a file beside the store (off for large simulations). */
  writePrograms: boolean;
  /**
   * Seconds of the run's clock already spent by earlier sessions: stored times are on the run's own clock
   * (0 = run start, continuing across resumes, virtual when simulated), so plots against time mean the same
   * thing for every run.
   */
  clockOffsetSec?: number;
}

export const DEFAULT_LOOP: Omit<LoopConfig, "taskIds"> = {
  executors: 2,
  samplers: 1,
  batchSize: 16,
  maxStaleness: 1,
  improveProb: 0.5,
  durationAware: true,
  advantage: DEFAULT_ADVANTAGE,
  seed: 0,
  poolSize: 8,
  keepCheckpoints: 2,
  writePrograms: true,
};

export interface UpdateStats {
  version: number;
  n: number;
  meanReward: number;
  meanDt: number;
  /** Duration weights applied, in batch order (mean 1 when duration-aware). */
  weights: number[];
  advantages: number[];
  rolloutIds: number[];
  loss: number;
  kl: number;
  stalenessMean: number;
  stalenessMax: number;
  baselines: Record<string, number>;
  /** Trainer diagnostics (clip fraction, mean ratio, gradient norm, ...). */
  extra: Record<string, number>;
}

export interface LoopEvents {
  onStart?(info: { id: number; taskId: string; kind: PromptKind; inFlight: number; finishedUntrained: number }): void;
  onRollout?(row: { id: number; taskId: string; kind: PromptKind; policyVersion: number }, outcome: RolloutOutcome): void;
  onUpdate?(stats: UpdateStats): void;
}

export interface LoopSummary {
  rollouts: number;
  updates: number;
  policyVersion: number;
  elapsedSec: number;
  /** Busy executor-seconds over (executors × elapsed) in this session. */
  utilisation: number;
  stoppedBy: "rollouts" | "time" | "signal";
  maxPacingLoad: number;
}

interface Finished {
  id: number;
  taskId: string;
  kind: PromptKind;
  action: SampledAction;
  reward: number;
  wallSec: number;
}

function parseAction(json: string): SampledAction {
  return JSON.parse(json) as SampledAction;
}

/**
 * The asynchronous actor / executor / learner loop. Actors sample from the current policy version whenever
 * pacing allows, executions finish out of order, and the learner updates every `batchSize` finished rollouts
 * while executions go on. All state that matters lives in the run store, so a killed run resumes exactly.
 */
export async function runLoop(
  deps: { policy: PolicyPort; runner: RolloutRunner; store: RunStore; clock: Clock },
  config: LoopConfig,
  signal?: AbortSignal,
  events: LoopEvents = {},
): Promise<LoopSummary> {
  const { policy, runner, store, clock } = deps;
  const existing = store.rollouts();
  const rng = new Rng(config.seed ^ existing.length);
  const estimator = new AdvantageEstimator(config.advantage);
  const latest = store.latestUpdate();
  if (latest) estimator.restore((latest.stats as Partial<UpdateStats>).baselines ?? {});
  const pool = new ImprovePool(config.poolSize);
  for (const row of existing) {
    if (row.status !== "running" && row.outcomeJson) addToPool(pool, row);
  }

  const queue: Finished[] = store.finishedUntrained().map((r) => ({
    id: r.id,
    taskId: r.taskId,
    kind: r.kind,
    action: parseAction(r.actionJson),
    reward: r.reward ?? 0,
    wallSec: r.wallSec ?? 0,
  }));
  let finishedTotal = store.countFinished();
  let startedTotal = existing.length;
  let inFlight = 0;
  let busySec = 0;
  let updates = 0;
  let maxPacingLoad = 0;
  let learner: Promise<void> | null = null;
  let learnerError: unknown = null;
  const t0 = clock.now();
  const runTime = () => (config.clockOffsetSec ?? 0) + (clock.now() - t0);
  const execAbort = new AbortController();
  // Every in-flight execution listens on this signal; a thousand slots is normal, not a leak.
  setMaxListeners(0, execAbort.signal);
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onAbort = () => {
    execAbort.abort();
    notify();
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  const launch = (id: number, taskId: string, kind: PromptKind, action: SampledAction) => {
    inFlight += 1;
    const started = clock.now();
    runner.run({ taskId, action, signal: execAbort.signal, outDir: store.rolloutDir(id) }).then(
      (outcome) => {
        inFlight -= 1;
        busySec += clock.now() - started;
        if (execAbort.signal.aborted) {
          // Interrupted mid-run: it stays `running` in the store and is executed again on resume.
          notify();
          return;
        }
        const ok = store.finishRollout(id, {
          reward: outcome.reward,
          outcomeJson: JSON.stringify(outcome),
          wallSec: outcome.wallSec,
          finishedAt: runTime(),
        });
        if (ok) {
          finishedTotal += 1;
          queue.push({ id, taskId, kind, action, reward: outcome.reward, wallSec: outcome.wallSec });
          if (outcome.validSubmission) {
            pool.add(taskId, {
              rolloutId: id,
              action,
              code: action.code,
              output: outcome.output,
              validationMetric: outcome.validationMetric,
              reward: outcome.reward,
              feedback: feedbackOf(outcome),
            });
          }
          events.onRollout?.({ id, taskId, kind, policyVersion: action.policyVersion }, outcome);
        }
        maybeLearn();
        notify();
      },
      (err: unknown) => {
        inFlight -= 1;
        learnerError ??= err;
        notify();
      },
    );
  };

  const maybeLearn = () => {
    if (learner || queue.length < config.batchSize) return;
    const batch = queue.splice(0, config.batchSize);
    learner = learn(batch)
      .catch((e: unknown) => {
        learnerError ??= e;
      })
      .finally(() => {
        learner = null;
        maybeLearn();
        notify();
      });
  };

  const learn = async (batch: Finished[]) => {
    const versionBefore = policy.version();
    const advantages = estimator.compute(batch.map((b) => ({ taskId: b.taskId, kind: b.kind, reward: b.reward })));
    const weights = durationWeights(
      batch.map((b) => b.wallSec),
      config.durationAware,
    );
    const items = batch.map((b, i) => ({ action: b.action, advantage: advantages[i]! * weights[i]!, weight: weights[i]! }));
    const result = await policy.update(items);
    const dir = join(store.runDir, "checkpoints", `v${String(result.version).padStart(6, "0")}`);
    mkdirSync(dir, { recursive: true });
    await policy.save(dir);
    const staleness = batch.map((b) => versionBefore - b.action.policyVersion);
    const stats: UpdateStats = {
      version: result.version,
      n: batch.length,
      meanReward: mean(batch.map((b) => b.reward)),
      meanDt: mean(batch.map((b) => b.wallSec)),
      weights,
      advantages: items.map((x) => x.advantage),
      rolloutIds: batch.map((b) => b.id),
      loss: result.loss,
      kl: result.kl,
      stalenessMean: mean(staleness),
      stalenessMax: Math.max(...staleness),
      baselines: estimator.snapshot(),
      extra: result.extra ?? {},
    };
    store.recordUpdate({
      version: result.version,
      createdAt: runTime(),
      stats: { ...stats },
      checkpoint: dir,
      rolloutIds: stats.rolloutIds,
    });
    updates += 1;
    pruneCheckpoints(store, config.keepCheckpoints);
    events.onUpdate?.(stats);
  };

  // Rollouts interrupted by a crash or Ctrl-C run again, from their stored action.
  for (const row of existing.filter((r) => r.status === "running")) launch(row.id, row.taskId, row.kind, parseAction(row.actionJson));
  maybeLearn();

  let stoppedBy: LoopSummary["stoppedBy"] = "rollouts";
  const samplers = Math.max(1, config.samplers);
  let sampling = 0;
  let stopping = false;
  const ready: Array<{ taskId: string; kind: PromptKind; parentId: number | null; action: SampledAction }> = [];
  const outOfTime = () => config.maxSeconds !== undefined && clock.now() - t0 >= config.maxSeconds;
  // Programs asked for but not yet executing (being generated, or waiting for an executor).
  const pending = () => sampling + ready.length;
  // The batch being trained counts as finished-but-untrained until its update is recorded.
  const finishedUntrained = () => queue.length + (learner ? config.batchSize : 0);
  const enoughRequested = () => config.maxRollouts !== undefined && startedTotal + pending() >= config.maxRollouts;
  const enoughStarted = () => config.maxRollouts !== undefined && startedTotal >= config.maxRollouts;

  const requestSample = () => {
    const taskId = config.taskIds[(startedTotal + pending()) % config.taskIds.length]!;
    const parent = rng.next() < config.improveProb ? pool.pick(taskId, rng) : undefined;
    const ctx: PromptContext = parent ? { taskId, kind: "improve", parent } : { taskId, kind: "scratch" };
    sampling += 1;
    policy.sample(ctx).then(
      (action) => {
        sampling -= 1;
        // A program that arrives after the stop was never started, so dropping it loses nothing.
        if (!stopping) ready.push({ taskId, kind: ctx.kind, parentId: parent?.rolloutId ?? null, action });
        notify();
      },
      (e: unknown) => {
        sampling -= 1;
        // A sampler that fails (e.g. its server went away) stops the run like a failed update: running
        // executions are interrupted and stay resumable, and the error reaches the caller.
        learnerError ??= e;
        notify();
      },
    );
  };

  while (learnerError === null) {
    if (signal?.aborted) {
      stoppedBy = "signal";
      break;
    }
    if (outOfTime()) {
      stoppedBy = "time";
      break;
    }
    if (enoughStarted() && inFlight === 0 && pending() === 0) break;
    const next = inFlight < config.executors ? ready.shift() : undefined;
    if (next) {
      const id = store.startRollout({
        taskId: next.taskId,
        kind: next.kind,
        parentId: next.parentId,
        policyVersion: next.action.policyVersion,
        actionJson: JSON.stringify(next.action),
        startedAt: runTime(),
      });
      if (config.writePrograms) store.writeArtifacts(id, { "program.py": next.action.code });
      startedTotal += 1;
      events.onStart?.({
        id,
        taskId: next.taskId,
        kind: next.kind,
        inFlight: inFlight + pending(),
        finishedUntrained: finishedUntrained(),
      });
      launch(id, next.taskId, next.kind, next.action);
      continue;
    }
    const load = { finishedUntrained: finishedUntrained(), inFlight: inFlight + pending() };
    if (
      !enoughRequested() &&
      sampling < samplers &&
      inFlight + pending() < config.executors + samplers - 1 &&
      mayStart(load, config.batchSize, config.maxStaleness)
    ) {
      maxPacingLoad = Math.max(maxPacingLoad, load.finishedUntrained + load.inFlight + 1);
      requestSample();
      // With one sampler the loop waits for the program, as a synchronous actor would; more samplers run ahead.
      if (samplers > 1) continue;
    }
    const waitFor = new Promise<void>((r) => (wake = r));
    const remaining = config.maxSeconds !== undefined ? Math.max(0, config.maxSeconds - (clock.now() - t0)) : undefined;
    if (remaining !== undefined) {
      const timer = new AbortController();
      await Promise.race([waitFor, clock.sleep(remaining, timer.signal)]);
      timer.abort();
    } else {
      await waitFor;
    }
  }

  stopping = true;
  // Stop: running executions are interrupted (they resume later), a running update is allowed to finish.
  if (stoppedBy !== "rollouts" || learnerError !== null) execAbort.abort();
  while (inFlight > 0 || sampling > 0) await new Promise<void>((r) => (wake = r));
  while (learner) await learner;
  signal?.removeEventListener("abort", onAbort);
  if (learnerError !== null) throw learnerError;

  const elapsed = clock.now() - t0;
  return {
    rollouts: finishedTotal,
    updates,
    policyVersion: policy.version(),
    elapsedSec: elapsed,
    utilisation: elapsed > 0 ? busySec / (config.executors * elapsed) : 0,
    stoppedBy,
    maxPacingLoad,
  };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function feedbackOf(o: RolloutOutcome): Record<string, string | number | null> {
  return { failureKind: o.failureKind, milestones: o.milestones.length, validationMetric: o.validationMetric };
}

function addToPool(pool: ImprovePool, row: RolloutRow): void {
  const outcome = JSON.parse(row.outcomeJson!) as RolloutOutcome;
  if (!outcome.validSubmission) return;
  const action = parseAction(row.actionJson);
  pool.add(row.taskId, {
    rolloutId: row.id,
    action,
    code: action.code,
    output: outcome.output,
    validationMetric: outcome.validationMetric,
    reward: outcome.reward,
    feedback: feedbackOf(outcome),
  });
}

function pruneCheckpoints(store: RunStore, keep: number): void {
  const withCkpt = store.updates().filter((u) => u.checkpoint);
  for (const u of withCkpt.slice(0, Math.max(0, withCkpt.length - keep))) rmSync(u.checkpoint!, { recursive: true, force: true });
}
