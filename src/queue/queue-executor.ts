/**
 * The coordinator's side of the job queue: an Executor whose programs run on `mlerl worker` machines. Each
 * execution is one BullMQ job keyed by its rollout (where its files go, what it runs, on which data, under which
 * limits) and an attempt, so a coordinator that restarts finds the jobs it had queued, running or finished;
 * a worker that dies mid-job has its job given to another worker (BullMQ's stalled-job check); a completion
 * arriving twice settles nothing twice. Grading stays here: only the program, the public files' hashes, limits
 * and this execution's marker tags leave the machine.
 */
import { createHash } from "node:crypto";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { Queue, QueueEvents, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { launchArgs, MARKER_KINDS, type MarkerKind } from "../instrument/index.js";
import type { ExecRequest, ExecResult, Executor } from "../sandbox/executor.js";
import { resolveLimits } from "../sandbox/limits.js";
import { PublicFilesOut } from "./public-files.js";
import {
  CANCEL_CHANNEL,
  COORDINATORS_KEY,
  ExecJobResult,
  HEARTBEAT_MS,
  jobId,
  parseJson,
  PREFIX,
  queueName,
  refusal,
  REGISTRY_TTL_MS,
  WorkerInfo,
  WORKERS_KEY,
  type CoordinatorInfo,
  type ExecJob,
  type Identity,
} from "./protocol.js";
import { connectRedis, type RedisTarget } from "./redis.js";

/** A BullMQ-level failure (a worker error, not the program's) is retried this many times before the run stops. */
const DELIVERIES = 3;
/** How often a waiting execution asks Redis for its job, in case a completion event was missed (a reconnect). */
const POLL_MS = 3_000;
/** How long a stopped execution waits for its worker to confirm the kill. */
const CANCEL_WAIT_MS = 30_000;

export interface QueueStatus {
  /** Jobs waiting for a worker. */
  waiting: number;
  active: number;
  workers: Array<{ name: string; slots: number; busy: number; utilisation: number | null; jobs: number }>;
}

interface Waiter {
  settle: () => void;
}

type Outcome = { kind: "done"; result: ExecJobResult } | { kind: "failed"; reason: string } | { kind: "aborted"; reason: string };

export class QueueExecutor implements Executor {
  readonly name = "queue";
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly refused = new Set<string>();
  private warnedIdle = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private lastStatus: QueueStatus = { waiting: 0, active: 0, workers: [] };
  /** Each worker's busy time and clock when first seen here, for utilisation over this run. */
  private readonly firstSeen = new Map<string, { busyMs: number; seen: number }>();
  private closed = false;

  private constructor(
    private readonly target: RedisTarget,
    private readonly redis: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly files: PublicFilesOut,
    readonly identity: Identity,
    readonly coordinator: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Connects (a one-line error naming the URL if Redis cannot be reached) and announces this coordinator. */
  static async open(opts: {
    target: RedisTarget;
    identity: Identity;
    log?: (line: string) => void;
    name?: string;
  }): Promise<QueueExecutor> {
    const redis = await connectRedis(opts.target, "mlerl-coordinator");
    const name = opts.name ?? `${hostname()}-${process.pid}`;
    const qn = queueName(opts.identity);
    const queue = new Queue(qn, { connection: opts.target.bull, prefix: PREFIX });
    queue.on("error", () => {});
    const events = new QueueEvents(qn, { connection: opts.target.bull, prefix: PREFIX });
    events.on("error", () => {});
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const ex = new QueueExecutor(opts.target, redis, queue, events, new PublicFilesOut(redis), opts.identity, name, opts.log ?? (() => {}));
    events.on("completed", ({ jobId: id }) => ex.poke(id));
    events.on("failed", ({ jobId: id }) => ex.poke(id));
    await ex.beat();
    ex.heartbeat = setInterval(() => void ex.beat().catch(() => {}), HEARTBEAT_MS);
    ex.heartbeat.unref();
    await ex.warnIfVolatile();
    return ex;
  }

  describe(): string {
    return `job queue on ${this.target.shown} (${queueName(this.identity)}), programs run by mlerl workers in their sandbox`;
  }

  /** Queue depth and each worker's share of busy slots since this coordinator first saw it (refreshed every 2 s). */
  status(): QueueStatus {
    return this.lastStatus;
  }

  /** One line for a progress display: "queue 3 waiting · w1 2/2 96% · w2 1/2 71%". */
  statusLine(): string {
    const s = this.lastStatus;
    const ws = s.workers.map(
      (w) => `${w.name} ${w.busy}/${w.slots}${w.utilisation === null ? "" : ` ${Math.round(100 * w.utilisation)}%`}`,
    );
    return [`queue ${s.waiting} waiting`, ...(ws.length ? ws : ["no worker"])].join(" · ");
  }

  async run(req: ExecRequest): Promise<ExecResult> {
    if (req.env && Object.keys(req.env).length > 0) throw new Error("the job queue carries no environment variables for programs");
    if (req.launch && JSON.stringify(req.launch.args("/p")) !== JSON.stringify(launchArgs("/p")))
      throw new Error("the job queue starts programs only through mlerl's own launcher");
    const data = await this.files.describe(req.publicDir);
    const limits = resolveLimits(req.limits);
    const tags: Array<[string, MarkerKind]> = [];
    for (const [tag, kind] of req.markerTags ?? [])
      if ((MARKER_KINDS as readonly string[]).includes(kind)) tags.push([tag, kind as MarkerKind]);
    const key = rolloutKey(req.outDir, req.code, data.hash, JSON.stringify(limits));
    const base: Omit<ExecJob, "attempt"> = {
      protocol: this.identity.protocol,
      key,
      coordinator: this.coordinator,
      code: req.code,
      data,
      limits,
      launchStdin: req.launch?.stdin ?? null,
      markerTags: tags,
      maxSubmissionBytes: req.maxSubmissionBytes ?? null,
    };
    for (let attempt = 0; ; attempt++) {
      if (req.signal?.aborted) return abortedResult("stopped before it was queued");
      const id = jobId(key, attempt);
      const job = (await this.queue.getJob(id)) ?? (await this.add(id, { ...base, attempt }));
      const outcome = await this.await(job, req.signal);
      if (outcome.kind === "failed") {
        if (attempt + 1 >= DELIVERIES) throw new Error(`queue job ${id} failed on its workers: ${outcome.reason}`);
        this.log(`queue job ${id} failed (${outcome.reason}); queued again as attempt ${attempt + 1}`);
        continue;
      }
      if (outcome.kind === "aborted") return abortedResult(outcome.reason);
      const result = outcome.result;
      // An execution a stop interrupted is not a result: run it again under the same key.
      if (result.killed === "aborted" && !req.signal?.aborted) {
        await job.remove().catch(() => {});
        attempt--;
        continue;
      }
      const exec = this.materialise(result, req, limits);
      await job.remove().catch(() => {});
      return exec;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const set of this.waiters.values()) for (const w of set) w.settle();
    await this.redis.hdel(COORDINATORS_KEY, this.coordinator).catch(() => 0);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }

  private async add(id: string, data: ExecJob): Promise<Job> {
    return this.queue.add("exec", data, {
      jobId: id,
      attempts: DELIVERIES,
      backoff: { type: "fixed", delay: 1000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /** Waits for the job to finish, fail, or be stopped by `signal` (then it is removed or cancelled on its worker). */
  private async await(job: Job, signal: AbortSignal | undefined): Promise<Outcome> {
    const id = job.id!;
    let cancelledAt: number | null = null;
    for (;;) {
      // Listening before looking: a completion between the look and the wait still wakes this execution.
      const wake = this.wake(id, signal, cancelledAt !== null ? 500 : POLL_MS);
      const outcome = await this.look(id, job, signal, cancelledAt);
      if (typeof outcome === "number") cancelledAt = outcome;
      else if (outcome !== null) {
        wake.cancel();
        return outcome;
      }
      await wake.promise;
    }
  }

  /** One look at the job: its outcome, or null (still pending), or the time a stop was first acted on. */
  private async look(id: string, job: Job, signal: AbortSignal | undefined, cancelledAt: number | null): Promise<Outcome | number | null> {
    const state = await this.queue.getJobState(id);
    if (state === "completed" || state === "failed") {
      const fresh = await this.queue.getJob(id);
      if (fresh && state === "completed") {
        const parsed = ExecJobResult.safeParse(fresh.returnvalue);
        if (!parsed.success)
          return { kind: "failed", reason: `the worker's result is malformed (${parsed.error.issues[0]?.message ?? "invalid"})` };
        if (cancelledAt !== null) await fresh.remove().catch(() => {});
        return { kind: "done", result: parsed.data };
      }
      if (fresh) return { kind: "failed", reason: fresh.failedReason || "unknown" };
    }
    if (state === "unknown" && cancelledAt !== null) return { kind: "aborted", reason: "stopped while queued" };
    if (!signal?.aborted && !this.closed) return null;
    if (cancelledAt === null) {
      // A job still waiting is simply removed; a running one is cancelled on its worker, which reports back.
      const removed = await job
        .remove()
        .then(() => true)
        .catch(() => false);
      if (removed) return { kind: "aborted", reason: "stopped while queued" };
      await this.redis.publish(CANCEL_CHANNEL, id);
      return Date.now();
    }
    if (Date.now() - cancelledAt > CANCEL_WAIT_MS) return { kind: "aborted", reason: "stopped; its worker did not confirm within 30 s" };
    return null;
  }

  /** Resolves on the job's completion event, the signal, or after `ms`. */
  private wake(id: string, signal: AbortSignal | undefined, ms: number): { promise: Promise<void>; cancel: () => void } {
    let settle = () => {};
    const promise = new Promise<void>((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const waiter: Waiter = {
        settle: () => {
          clearTimeout(t);
          signal?.removeEventListener("abort", waiter.settle);
          set.delete(waiter);
          if (set.size === 0) this.waiters.delete(id);
          resolve();
        },
      };
      settle = waiter.settle;
      const t = setTimeout(waiter.settle, ms);
      set.add(waiter);
      signal?.addEventListener("abort", waiter.settle, { once: true });
    });
    return { promise, cancel: settle };
  }

  private poke(id: string): void {
    for (const w of [...(this.waiters.get(id) ?? [])]) w.settle();
  }

  /** The worker's result as the local executors leave it: files in outDir, the submission copied there. */
  private materialise(r: ExecJobResult, req: ExecRequest, limits: object): ExecResult {
    mkdirSync(req.outDir, { recursive: true });
    writeFileSync(join(req.outDir, "program.py"), req.code);
    let submissionPath: string | null = null;
    const notes = [...r.notes];
    if (r.submission !== null) {
      const bytes = Buffer.from(r.submission, "base64");
      if (req.maxSubmissionBytes !== undefined && bytes.length > req.maxSubmissionBytes)
        notes.push(`submission.csv refused: ${bytes.length} bytes over the bound`);
      else {
        submissionPath = join(req.outDir, "submission.csv");
        writeFileSync(submissionPath, bytes);
      }
    }
    const result: ExecResult = {
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      killed: r.killed,
      wallSec: r.wallSec,
      cpuSec: r.cpuSec,
      peakMemoryMb: r.peakMemoryMb,
      stdout: r.stdout,
      stderr: r.stderr,
      submissionPath,
      cpuLimit: r.cpuLimit,
      summary: r.summary,
      notes,
      worker: r.worker,
      markers: r.markers,
    };
    writeFileSync(join(req.outDir, "stdout.txt"), r.stdout.text);
    writeFileSync(join(req.outDir, "stderr.txt"), r.stderr.text);
    writeFileSync(join(req.outDir, "result.json"), `${JSON.stringify({ ...result, markers: undefined, limits }, null, 2)}\n`);
    return result;
  }

  /** Announces this coordinator, refreshes the queue's status, and says once why each differing worker is refused. */
  private async beat(): Promise<void> {
    const info: CoordinatorInfo = { name: this.coordinator, identity: this.identity, seen: Date.now() };
    await this.redis.hset(COORDINATORS_KEY, this.coordinator, JSON.stringify(info));
    const counts = await this.queue.getJobCounts("waiting", "prioritized", "delayed", "active");
    const now = Date.now();
    const workers: QueueStatus["workers"] = [];
    for (const raw of Object.values(await this.redis.hgetall(WORKERS_KEY))) {
      const w = parseJson(raw, WorkerInfo);
      if (!w || now - w.seen > REGISTRY_TTL_MS) continue;
      const why = refusal(w.identity, this.identity);
      if (why) {
        if (!this.refused.has(w.name)) {
          this.refused.add(w.name);
          this.log(`worker ${w.name} on ${w.host} is refused: ${why.difference}; fix: ${why.fix}`);
        }
        continue;
      }
      const first = this.firstSeen.get(w.name) ?? { busyMs: w.busyMs, seen: w.seen };
      this.firstSeen.set(w.name, first);
      const span = (w.seen - first.seen) * w.slots;
      workers.push({
        name: w.name,
        slots: w.slots,
        busy: w.busy,
        utilisation: span > 0 ? (w.busyMs - first.busyMs) / span : null,
        jobs: w.jobs,
      });
    }
    workers.sort((a, b) => a.name.localeCompare(b.name));
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
    this.lastStatus = { waiting, active: counts.active ?? 0, workers };
    if (workers.length === 0 && waiting > 0 && !this.warnedIdle) {
      this.warnedIdle = true;
      this.log(
        `no worker takes ${queueName(this.identity)} yet; start one on each executor machine: mlerl worker --redis ${this.target.shown}`,
      );
    }
    if (workers.length > 0) this.warnedIdle = false;
  }

  /** Without append-only persistence a Redis restart would lose queued jobs and results: say so. */
  private async warnIfVolatile(): Promise<void> {
    const aof = (await this.redis.config("GET", "appendonly").catch(() => null)) as unknown;
    if (Array.isArray(aof) && aof[1] === "no")
      this.log(
        `Redis at ${this.target.shown} runs without appendonly: a restart may lose queued jobs (set appendonly yes, docs/distributed.md)`,
      );
  }
}

/** The rollout a job is for: this machine, the execution's directory, its program, public data and limits. */
export function rolloutKey(outDir: string, code: string, dataHash: string, limits: string): string {
  let dir = resolve(outDir);
  try {
    dir = realpathSync(dir);
  } catch {
    /* not created yet: the resolved path names it */
  }
  const h = createHash("sha256");
  for (const part of [hostname(), dir, createHash("sha256").update(code).digest("hex"), dataHash, limits]) h.update(`${part}\u0000`);
  return h.digest("hex").slice(0, 32);
}

function abortedResult(why: string): ExecResult {
  const empty = { text: "", truncated: false, totalBytes: 0 };
  return {
    exitCode: null,
    signal: null,
    timedOut: false,
    killed: "aborted",
    wallSec: 0,
    cpuSec: null,
    peakMemoryMb: null,
    stdout: empty,
    stderr: empty,
    submissionPath: null,
    summary: `aborted: ${why}`,
    notes: [],
  };
}
