/**
 * A queue worker: takes execution jobs of its own identity's queue, runs each program in the local sandbox with
 * the job's limits, the local launcher and the job's marker tags, and returns the execution. A job names only a
 * program, its public files by hash, limits and tags: nothing it carries can choose what else runs here.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { launchArgs, MarkerScanner, stripMarkers, type MarkerKind } from "../instrument/index.js";
import type { ExecResult, Executor } from "../sandbox/executor.js";
import { PublicFilesIn } from "./public-files.js";
import {
  CANCEL_CHANNEL,
  CoordinatorInfo,
  COORDINATORS_KEY,
  ExecJob,
  HEARTBEAT_MS,
  PREFIX,
  queueName,
  refusal,
  REGISTRY_TTL_MS,
  WORKERS_KEY,
  parseJson,
  type ExecJobResult,
  type Identity,
  type WorkerInfo,
} from "./protocol.js";
import { connectRedis, type RedisTarget } from "./redis.js";

export interface QueueWorkerOptions {
  target: RedisTarget;
  name: string;
  slots: number;
  /** The local sandbox (never an unsandboxed executor). */
  executor: Executor;
  identity: Identity;
  /** Where job outputs (removed after each job) and fetched public files live. */
  workDir: string;
  /** This machine's own copy of a task's public dir, or null. */
  localCopy: (taskId: string) => Promise<string | null>;
  /** A job whose worker has not renewed its lock for this long is given to another worker. */
  stallSec: number;
  log: (line: string) => void;
}

export class QueueWorker {
  private worker: Worker | null = null;
  private redis: Redis | null = null;
  private sub: Redis | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly refused = new Set<string>();
  private busy = 0;
  private busyMs = 0;
  private tBusy = Date.now();
  private jobs = 0;
  private readonly since = Date.now();

  constructor(private readonly opts: QueueWorkerOptions) {}

  async start(): Promise<void> {
    const o = this.opts;
    this.redis = await connectRedis(o.target, `mlerl-worker-${o.name}`);
    const files = new PublicFilesIn(this.redis, join(o.workDir, "public"), o.localCopy);
    this.sub = this.redis.duplicate();
    this.sub.on("error", () => {});
    await this.sub.subscribe(CANCEL_CHANNEL);
    this.sub.on("message", (_channel: string, id: string) => {
      if (this.worker?.cancelJob(id, "the coordinator stopped this rollout")) o.log(`job ${id} cancelled by its coordinator`);
    });
    this.worker = new Worker(queueName(o.identity), (job: Job, _token?: string, signal?: AbortSignal) => this.process(job, files, signal), {
      connection: o.target.bull,
      prefix: PREFIX,
      concurrency: o.slots,
      lockDuration: o.stallSec * 1000,
      stalledInterval: o.stallSec * 1000,
      maxStalledCount: 5,
      name: o.name,
    });
    this.worker.on("error", (e: Error) => {
      if (!/could not renew lock/.test(e.message)) o.log(`queue error: ${e.message.split("\n")[0]}`);
    });
    // A job whose lock lapsed (this worker was frozen or cut off) belongs to another worker now: stop running it.
    this.worker.on("lockRenewalFailed", (ids: string[]) => {
      for (const id of ids)
        if (this.worker?.cancelJob(id, "its lock lapsed")) o.log(`job ${id} lost its lock to another worker; stopped here`);
    });
    await this.worker.waitUntilReady();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch(() => {}), HEARTBEAT_MS);
    o.log(
      `worker ${o.name}: ${o.slots} slot(s) on ${o.target.shown}, queue ${queueName(o.identity)} (protocol ${o.identity.protocol}, agent venv ${o.identity.venv}, sandbox ${o.identity.sandbox})`,
    );
  }

  /** Stops taking jobs; running ones are cancelled (their coordinators run them again) unless `drain`. */
  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.worker) {
      if (!opts.drain) this.worker.cancelAllJobs("the worker is stopping");
      await this.worker.close();
    }
    await this.redis?.hdel(WORKERS_KEY, this.opts.name).catch(() => 0);
    this.sub?.disconnect();
    this.redis?.disconnect();
  }

  private async process(job: Job, files: PublicFilesIn, signal: AbortSignal | undefined): Promise<ExecJobResult> {
    const parsed = ExecJob.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed job: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    const j = parsed.data;
    if (j.protocol !== this.opts.identity.protocol)
      throw new UnrecoverableError(`job of protocol ${j.protocol}, worker speaks ${this.opts.identity.protocol}`);
    const outDir = join(this.opts.workDir, "jobs", `${job.id ?? j.key}-${randomBytes(4).toString("hex")}`);
    this.account(+1);
    this.opts.log(
      `job ${job.id} started (${j.coordinator}, attempt ${j.attempt}${job.attemptsStarted > 1 ? `, delivery ${job.attemptsStarted}` : ""})`,
    );
    try {
      const publicDir = await files.resolve(j.data);
      mkdirSync(outDir, { recursive: true });
      const tags = new Map<string, MarkerKind>(j.markerTags);
      const scanner = new MarkerScanner(tags);
      const e = await this.opts.executor.run({
        code: j.code,
        publicDir,
        outDir,
        limits: j.limits,
        ...(signal ? { signal } : {}),
        // The launcher is this machine's own; the job brings only the plan it reads on stdin.
        ...(j.launchStdin !== null ? { launch: { args: launchArgs, stdin: j.launchStdin } } : {}),
        onStdout: (chunk) => scanner.push(chunk),
        ...(j.maxSubmissionBytes !== null ? { maxSubmissionBytes: j.maxSubmissionBytes } : {}),
      });
      const result = this.result(e, scanner, tags);
      this.jobs++;
      this.opts.log(`job ${job.id} finished: ${e.summary}`);
      return result;
    } finally {
      this.account(-1);
      rmSync(outDir, { recursive: true, force: true });
    }
  }

  private result(e: ExecResult, scanner: MarkerScanner, tags: ReadonlyMap<string, MarkerKind>): ExecJobResult {
    const strip = (c: ExecResult["stdout"]) => {
      const text = stripMarkers(c.text, tags);
      return { text, truncated: c.truncated, totalBytes: c.totalBytes };
    };
    return {
      worker: this.opts.name,
      exitCode: e.exitCode,
      signal: e.signal,
      timedOut: e.timedOut,
      killed: e.killed,
      wallSec: e.wallSec,
      cpuSec: e.cpuSec,
      peakMemoryMb: e.peakMemoryMb,
      stdout: strip(e.stdout),
      stderr: strip(e.stderr),
      submission: e.submissionPath ? readFileSync(e.submissionPath).toString("base64") : null,
      cpuLimit: e.cpuLimit ?? null,
      summary: e.summary,
      notes: e.notes ?? [],
      markers: scanner.finish(),
    };
  }

  private account(delta: number): void {
    const t = Date.now();
    this.busyMs += this.busy * (t - this.tBusy);
    this.tBusy = t;
    this.busy += delta;
  }

  private info(): WorkerInfo {
    this.account(0);
    return {
      name: this.opts.name,
      host: hostname(),
      identity: this.opts.identity,
      slots: this.opts.slots,
      busy: this.busy,
      busyMs: this.busyMs,
      jobs: this.jobs,
      since: this.since,
      seen: Date.now(),
    };
  }

  /** Says who this worker is, and why it takes no jobs of a coordinator that differs. */
  private async beat(): Promise<void> {
    const redis = this.redis;
    if (!redis) return;
    await redis.hset(WORKERS_KEY, this.opts.name, JSON.stringify(this.info()));
    const now = Date.now();
    for (const raw of Object.values(await redis.hgetall(COORDINATORS_KEY))) {
      const c = parseJson(raw, CoordinatorInfo);
      if (!c || now - c.seen > REGISTRY_TTL_MS || this.refused.has(c.name)) continue;
      const why = refusal(this.opts.identity, c.identity);
      if (!why) continue;
      this.refused.add(c.name);
      this.opts.log(`refusing the jobs of coordinator ${c.name}: ${why.difference}; fix: ${why.fix}`);
    }
  }
}
