/**
 * The asynchronous actor / executor / learner loop. Actors sample from the current policy version whenever
 * pacing allows, executions finish out of order, and the learner updates every `batchSize` finished rollouts
 * while executions go on. All state that matters lives in the run store, so a killed run resumes exactly.
 *
 * Three parts share one small state object (`LoopState`):
 * - the scheduler (`requestSample`, `startReady`) asks the policy for programs and starts them on free executors;
 * - executions (`launch`, `onFinished`) run in the environment and record what they produced;
 * - the learner (`maybeLearn`, `learn`) turns full batches into updates and checkpoints.
 * The main loop wakes on any of their events and asks the scheduler for more work.
 *
 * Stop sequence (budget spent, Ctrl-C, or an error in any part):
 * 1. no new sample is requested; programs that arrive afterwards were never started and are dropped;
 * 2. unless the rollout budget was reached, running executions are aborted: they stay `running` in the store
 *    and run again on resume;
 * 3. the loop waits until no execution and no sample request is in flight;
 * 4. an update in progress is allowed to finish (its checkpoint and store record are written together);
 * 5. the first error, if any, is rethrown to the caller.
 */
import { setMaxListeners } from "node:events";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";
import type { LoopSettings } from "../core/config.js";
import type { PolicyPort, PromptContext } from "../core/policy-port.js";
import type { PromptKind, RolloutRecord, RolloutRunner, SampledAction } from "../core/rollout.js";
import type { UpdateStats } from "../core/update.js";
import { StoreReadError, type RunStore, type StoredRollout } from "../store/run-store.js";
import { Rng } from "../util/random.js";
import { AdvantageEstimator } from "./advantage.js";
import { durationWeights } from "./duration.js";
import { ImprovePool } from "./improve-pool.js";
import { mayStart } from "./pacing.js";

export interface LoopConfig {
  taskIds: readonly string[];
  loop: LoopSettings & { executors: number; samplers: number };
  /** Stop after this many finished rollouts (counting those of earlier, resumed sessions). */
  maxRollouts?: number;
  /** Stop after this many seconds of this session's clock. */
  maxSeconds?: number;
  seed: number;
  /** Write each program as a file beside the store (off for large simulations). */
  writePrograms: boolean;
  /**
   * Seconds of the run's clock already spent by earlier sessions: stored times are on the run's own clock
   * (0 = run start, continuing across resumes, virtual when simulated), so plots against time mean the same
   * thing for every run.
   */
  clockOffsetSec?: number;
}

export interface LoopEvents {
  onStart?(info: { id: number; taskId: string; kind: PromptKind; inFlight: number; finishedUntrained: number }): void;
  onRollout?(row: { id: number; taskId: string; kind: PromptKind; policyVersion: number }, record: RolloutRecord): void;
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

interface Sampled {
  taskId: string;
  kind: PromptKind;
  parentId: number | null;
  action: SampledAction;
}

interface Deps {
  policy: PolicyPort;
  runner: RolloutRunner;
  store: RunStore;
  clock: Clock;
}

/** Everything the loop's parts share. Counters are of this session unless they say otherwise. */
interface LoopState {
  readonly deps: Deps;
  readonly config: LoopConfig;
  readonly events: LoopEvents;
  readonly rng: Rng;
  readonly estimator: AdvantageEstimator;
  readonly pool: ImprovePool;
  /** Finished rollouts waiting for the learner, in finishing order. */
  readonly queue: Finished[];
  /** Sampled programs waiting for an executor. */
  readonly ready: Sampled[];
  /** Every in-flight execution listens on this; aborting it interrupts them (they stay resumable). */
  readonly execAbort: AbortController;
  readonly t0: number;
  /** Finished and started rollouts of the whole run (earlier sessions included). */
  finishedTotal: number;
  startedTotal: number;
  inFlight: number;
  sampling: number;
  busySec: number;
  updates: number;
  maxPacingLoad: number;
  learner: Promise<void> | null;
  stopping: boolean;
  /** The first error of any part (sampler, execution, learner); it stops the loop. */
  fatalError: unknown;
  wake: (() => void) | null;
}

/** Runs the loop until its budget is spent, the signal aborts, or a part fails. */
export async function runLoop(deps: Deps, config: LoopConfig, signal?: AbortSignal, events: LoopEvents = {}): Promise<LoopSummary> {
  const s = restoreState(deps, config, events);
  const onAbort = () => {
    s.execAbort.abort();
    notify(s);
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  // Rollouts interrupted by a crash or Ctrl-C run again, from their stored action.
  for (const row of deps.store.rollouts("running")) launch(s, row.id, row.taskId, row.kind, row.action);
  maybeLearn(s);

  let stoppedBy: LoopSummary["stoppedBy"] = "rollouts";
  while (s.fatalError === null) {
    if (signal?.aborted) {
      stoppedBy = "signal";
      break;
    }
    if (outOfTime(s)) {
      stoppedBy = "time";
      break;
    }
    if (enoughStarted(s) && s.inFlight === 0 && pending(s) === 0) break;
    if (startReady(s)) continue;
    // With one sampler the loop waits for the program, as a synchronous actor would; more samplers run ahead.
    if (requestSample(s) && config.loop.samplers > 1) continue;
    await sleepUntilWoken(s);
  }

  // The stop sequence (see the header).
  s.stopping = true;
  if (stoppedBy !== "rollouts" || s.fatalError !== null) s.execAbort.abort();
  while (s.inFlight > 0 || s.sampling > 0) await new Promise<void>((r) => (s.wake = r));
  while (s.learner) await s.learner;
  signal?.removeEventListener("abort", onAbort);
  if (s.fatalError !== null) throw s.fatalError;

  const elapsed = deps.clock.now() - s.t0;
  return {
    rollouts: s.finishedTotal,
    updates: s.updates,
    policyVersion: deps.policy.version(),
    elapsedSec: elapsed,
    utilisation: elapsed > 0 ? s.busySec / (config.loop.executors * elapsed) : 0,
    stoppedBy,
    maxPacingLoad: s.maxPacingLoad,
  };
}

/** The loop's state as the store left it: baselines, the improve pool and the learner's queue. */
function restoreState(deps: Deps, config: LoopConfig, events: LoopEvents): LoopState {
  const { store } = deps;
  const existing = store.rollouts();
  const estimator = new AdvantageEstimator({ normalize: config.loop.normalizeAdvantages, baselineMomentum: config.loop.baselineMomentum });
  const latest = store.latestUpdate();
  if (latest) estimator.restore(latest.stats.baselines);
  const pool = new ImprovePool(config.loop.poolSize);
  for (const row of existing) {
    if (row.status === "running") continue;
    const record = requireRecord(row);
    if (record.reward.validSubmission) pool.add(row.taskId, parentOf(row.id, row.action, record));
  }
  const queue = store.finishedUntrained().map((row) => finishedOf(row, requireRecord(row)));
  const execAbort = new AbortController();
  // Every in-flight execution listens on this signal; a thousand slots is normal, not a leak.
  setMaxListeners(0, execAbort.signal);
  return {
    deps,
    config,
    events,
    rng: new Rng(config.seed ^ existing.length),
    estimator,
    pool,
    queue,
    ready: [],
    execAbort,
    t0: deps.clock.now(),
    finishedTotal: store.countFinished(),
    startedTotal: existing.length,
    inFlight: 0,
    sampling: 0,
    busySec: 0,
    updates: 0,
    maxPacingLoad: 0,
    learner: null,
    stopping: false,
    fatalError: null,
    wake: null,
  };
}

function requireRecord(row: StoredRollout): RolloutRecord {
  if (row.record) return row.record;
  throw new StoreReadError(row.problem ?? `${row.id}: a finished rollout without a record`);
}

function finishedOf(row: { id: number; taskId: string; kind: PromptKind; action: SampledAction }, record: RolloutRecord): Finished {
  return {
    id: row.id,
    taskId: row.taskId,
    kind: row.kind,
    action: row.action,
    reward: record.reward.reward,
    wallSec: record.reward.wallSec,
  };
}

function parentOf(rolloutId: number, action: SampledAction, record: RolloutRecord) {
  return { rolloutId, action, reward: record.reward.reward, feedback: record.feedback };
}

// ---- time and wake-ups ------------------------------------------------------------------------------------------

/** The run's own clock: this session's time plus what earlier sessions spent. */
function runTime(s: LoopState): number {
  return (s.config.clockOffsetSec ?? 0) + (s.deps.clock.now() - s.t0);
}

function outOfTime(s: LoopState): boolean {
  return s.config.maxSeconds !== undefined && s.deps.clock.now() - s.t0 >= s.config.maxSeconds;
}

function notify(s: LoopState): void {
  const w = s.wake;
  s.wake = null;
  w?.();
}

/** Waits for any part's event, or for the time budget to run out. */
async function sleepUntilWoken(s: LoopState): Promise<void> {
  const woken = new Promise<void>((r) => (s.wake = r));
  if (s.config.maxSeconds === undefined) return woken;
  const remaining = Math.max(0, s.config.maxSeconds - (s.deps.clock.now() - s.t0));
  const timer = new AbortController();
  await Promise.race([woken, s.deps.clock.sleep(remaining, timer.signal)]);
  timer.abort();
}

// ---- the scheduler ----------------------------------------------------------------------------------------------

/** Programs asked for but not yet executing (being generated, or waiting for an executor). */
function pending(s: LoopState): number {
  return s.sampling + s.ready.length;
}

/** The batch being trained counts as finished-but-untrained until its update is recorded. */
function finishedUntrained(s: LoopState): number {
  return s.queue.length + (s.learner ? s.config.loop.batchSize : 0);
}

function enoughRequested(s: LoopState): boolean {
  return s.config.maxRollouts !== undefined && s.startedTotal + pending(s) >= s.config.maxRollouts;
}

function enoughStarted(s: LoopState): boolean {
  return s.config.maxRollouts !== undefined && s.startedTotal >= s.config.maxRollouts;
}

/** Starts the next sampled program when an executor is free. */
function startReady(s: LoopState): boolean {
  const next = s.inFlight < s.config.loop.executors ? s.ready.shift() : undefined;
  if (!next) return false;
  const { store } = s.deps;
  const id = store.startRollout({
    taskId: next.taskId,
    kind: next.kind,
    parentId: next.parentId,
    action: next.action,
    startedAt: runTime(s),
  });
  if (s.config.writePrograms) store.writeArtifacts(id, { "program.py": next.action.code });
  s.startedTotal += 1;
  s.events.onStart?.({
    id,
    taskId: next.taskId,
    kind: next.kind,
    inFlight: s.inFlight + pending(s),
    finishedUntrained: finishedUntrained(s),
  });
  launch(s, id, next.taskId, next.kind, next.action);
  return true;
}

/** Asks the policy for one more program when pacing, the samplers and the budget allow it. */
function requestSample(s: LoopState): boolean {
  const { loop } = s.config;
  const load = { finishedUntrained: finishedUntrained(s), inFlight: s.inFlight + pending(s) };
  const allowed =
    !enoughRequested(s) &&
    s.sampling < loop.samplers &&
    s.inFlight + pending(s) < loop.executors + loop.samplers - 1 &&
    mayStart(load, loop.batchSize, loop.maxStaleness);
  if (!allowed) return false;
  s.maxPacingLoad = Math.max(s.maxPacingLoad, load.finishedUntrained + load.inFlight + 1);
  const taskId = s.config.taskIds[(s.startedTotal + pending(s)) % s.config.taskIds.length]!;
  const parent = s.rng.next() < loop.improveProb ? s.pool.pick(taskId, s.rng) : undefined;
  const ctx: PromptContext = parent ? { taskId, kind: "improve", parent } : { taskId, kind: "scratch" };
  s.sampling += 1;
  s.deps.policy.sample(ctx).then(
    (action) => {
      s.sampling -= 1;
      // A program that arrives after the stop was never started, so dropping it loses nothing.
      if (!s.stopping) s.ready.push({ taskId, kind: ctx.kind, parentId: parent?.rolloutId ?? null, action });
      notify(s);
    },
    (e: unknown) => {
      s.sampling -= 1;
      // A sampler that fails (e.g. its server went away) stops the run like a failed update: running
      // executions are interrupted and stay resumable, and the error reaches the caller.
      s.fatalError ??= e;
      notify(s);
    },
  );
  return true;
}

// ---- executions -------------------------------------------------------------------------------------------------

function launch(s: LoopState, id: number, taskId: string, kind: PromptKind, action: SampledAction): void {
  s.inFlight += 1;
  const started = s.deps.clock.now();
  s.deps.runner.run({ taskId, action, signal: s.execAbort.signal, outDir: s.deps.store.rolloutDir(id) }).then(
    (record) => {
      s.inFlight -= 1;
      s.busySec += s.deps.clock.now() - started;
      onFinished(s, { id, taskId, kind, action }, record);
      notify(s);
    },
    (err: unknown) => {
      s.inFlight -= 1;
      s.fatalError ??= err;
      notify(s);
    },
  );
}

function onFinished(
  s: LoopState,
  row: { id: number; taskId: string; kind: PromptKind; action: SampledAction },
  record: RolloutRecord,
): void {
  // Interrupted mid-run: it stays `running` in the store and is executed again on resume.
  if (s.execAbort.signal.aborted) return;
  if (!s.deps.store.finishRollout(row.id, record, runTime(s))) return;
  s.finishedTotal += 1;
  s.queue.push(finishedOf(row, record));
  if (record.reward.validSubmission) s.pool.add(row.taskId, parentOf(row.id, row.action, record));
  s.events.onRollout?.({ id: row.id, taskId: row.taskId, kind: row.kind, policyVersion: row.action.policyVersion }, record);
  maybeLearn(s);
}

// ---- the learner ------------------------------------------------------------------------------------------------

function maybeLearn(s: LoopState): void {
  if (s.learner || s.queue.length < s.config.loop.batchSize) return;
  const batch = s.queue.splice(0, s.config.loop.batchSize);
  s.learner = learn(s, batch)
    .catch((e: unknown) => {
      s.fatalError ??= e;
    })
    .finally(() => {
      s.learner = null;
      maybeLearn(s);
      notify(s);
    });
}

/** One update: advantages × duration weights, a policy step, a checkpoint, and the store's record of it. */
async function learn(s: LoopState, batch: readonly Finished[]): Promise<void> {
  const { policy, store } = s.deps;
  const versionBefore = policy.version();
  const advantages = s.estimator.compute(batch.map((b) => ({ taskId: b.taskId, kind: b.kind, reward: b.reward })));
  const weights = durationWeights(
    batch.map((b) => b.wallSec),
    s.config.loop.durationAware,
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
    baselines: s.estimator.snapshot(),
    extra: result.extra ?? {},
  };
  store.recordUpdate({ version: result.version, createdAt: runTime(s), stats, checkpoint: dir });
  s.updates += 1;
  pruneCheckpoints(store, s.config.loop.keepCheckpoints);
  s.events.onUpdate?.(stats);
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function pruneCheckpoints(store: RunStore, keep: number): void {
  const withCkpt = store.updates().filter((u) => u.checkpoint);
  for (const u of withCkpt.slice(0, Math.max(0, withCkpt.length - keep))) rmSync(u.checkpoint!, { recursive: true, force: true });
}
