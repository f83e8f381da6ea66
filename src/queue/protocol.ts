/**
 * What crosses Redis between a coordinator and its workers, and who may talk to whom (docs/distributed.md).
 * Everything read back from Redis is parsed with these schemas before use.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { launcherSource, MARKER_KINDS, MarkerReportSchema } from "../instrument/index.js";
import { agentVenvHash } from "../runtime/venv.js";
import { ExecLimits } from "../sandbox/executor.js";

/** Bumped whenever a job's or a result's shape or meaning changes. */
export const QUEUE_PROTOCOL = 1;

/** Key prefix of everything mlerl keeps in Redis (BullMQ's keys included). */
export const PREFIX = "mlerl";

/** What a worker and a coordinator must share for a rollout to mean the same on both. */
export interface Identity {
  /** The queue protocol and the launcher that starts instrumented programs (its source hash). */
  protocol: string;
  /** The agent venv's requirements hash: the same libraries, at the same versions. */
  venv: string;
  /** How the sandbox isolates: as root with a dedicated uid, or in a user namespace. */
  sandbox: "root" | "userns";
}

export const IdentitySchema = z.object({ protocol: z.string(), venv: z.string(), sandbox: z.enum(["root", "userns"]) });

export function localIdentity(sandbox: "root" | "userns"): Identity {
  const launcher = createHash("sha256").update(launcherSource()).digest("hex").slice(0, 8);
  return { protocol: `${QUEUE_PROTOCOL}.${launcher}`, venv: agentVenvHash(), sandbox };
}

/** The sandbox mode this machine's bubblewrap executor uses. */
export function localSandboxMode(): "root" | "userns" {
  return typeof process.getuid === "function" && process.getuid() === 0 ? "root" : "userns";
}

/** Workers take jobs only from the queue of their own identity, so a job never reaches a worker that differs. */
export function queueName(id: Identity): string {
  return `exec-p${id.protocol}-v${id.venv}-s${id.sandbox}`;
}

/** Why `worker` may not run `coordinator`'s programs, with the fix; null when they agree. */
export function refusal(worker: Identity, coordinator: Identity): { difference: string; fix: string } | null {
  if (worker.protocol !== coordinator.protocol)
    return {
      difference: `queue protocol ${worker.protocol} on the worker, ${coordinator.protocol} on the coordinator`,
      fix: "run the same mlerl version on both machines (protocol = queue protocol . launcher hash)",
    };
  if (worker.venv !== coordinator.venv)
    return {
      difference: `agent venv ${worker.venv} on the worker, ${coordinator.venv} on the coordinator`,
      fix: "use the same python/requirements-agent.txt on both and run `mlerl setup` on the worker",
    };
  if (worker.sandbox !== coordinator.sandbox)
    return {
      difference: `sandbox mode ${worker.sandbox} on the worker, ${coordinator.sandbox} required by the coordinator`,
      fix:
        coordinator.sandbox === "root"
          ? "start the worker as root (a dedicated sandbox uid), or run the coordinator with --worker-sandbox userns"
          : "start the worker as an ordinary user, or run the coordinator with --worker-sandbox root",
    };
  return null;
}

/** A public file of a task: its path under the public dir and its content hash. */
export const PublicFile = z.object({
  path: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.startsWith("/") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".."), "a plain relative path"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
export type PublicFile = z.infer<typeof PublicFile>;

/** A task's public files by content: the hash of the sorted manifest names the whole set. */
export const PublicData = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.array(PublicFile).max(100_000),
  /** A built-in task's id, which a worker may generate itself (its hash is checked all the same). */
  builtin: z.string().nullable(),
});
export type PublicData = z.infer<typeof PublicData>;

const TAG = z.string().regex(/^[0-9a-f]{32}$/);

/** One execution. No paths, commands or interpreter arguments: a worker runs this program in its sandbox, nothing else. */
export const ExecJob = z.object({
  protocol: z.string(),
  /** Rollout key and attempt, as the job id (`<key>-<attempt>`). */
  key: z.string().regex(/^[0-9a-f]{32}$/),
  attempt: z.number().int().nonnegative(),
  coordinator: z.string(),
  code: z.string(),
  data: PublicData,
  limits: ExecLimits.partial(),
  /** The launcher's plan (sites and tagged marker lines); null: the program runs plainly. */
  launchStdin: z.string().nullable(),
  /** The tags the marker scan accepts, with their kinds; never the nonce. */
  markerTags: z.array(z.tuple([TAG, z.enum(MARKER_KINDS)])).max(1000),
  maxSubmissionBytes: z.number().int().positive().nullable(),
});
export type ExecJob = z.infer<typeof ExecJob>;

const Captured = z.object({ text: z.string(), truncated: z.boolean(), totalBytes: z.number().int().nonnegative() });

/** A worker's answer: the execution, its marker scan, and the submission's bytes. */
export const ExecJobResult = z.object({
  worker: z.string().min(1).max(200),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  killed: z.enum(["timeout", "memory", "output", "aborted"]).nullable(),
  wallSec: z.number().nonnegative(),
  cpuSec: z.number().nonnegative().nullable(),
  peakMemoryMb: z.number().nonnegative().nullable(),
  stdout: Captured,
  stderr: Captured,
  /** submission.csv, base64; null when the program wrote none (or it was refused: see notes). */
  submission: z.string().nullable(),
  cpuLimit: z.object({ cores: z.number().positive(), by: z.enum(["cgroup-quota", "affinity"]) }).nullable(),
  summary: z.string(),
  notes: z.array(z.string()),
  markers: MarkerReportSchema,
});
export type ExecJobResult = z.infer<typeof ExecJobResult>;

/** What a worker says about itself in the registry (refreshed every few seconds). */
export const WorkerInfo = z.object({
  name: z.string(),
  host: z.string(),
  identity: IdentitySchema,
  slots: z.number().int().positive(),
  busy: z.number().int().nonnegative(),
  /** Slot-milliseconds spent running programs since `since`. */
  busyMs: z.number().nonnegative(),
  jobs: z.number().int().nonnegative(),
  since: z.number(),
  seen: z.number(),
});
export type WorkerInfo = z.infer<typeof WorkerInfo>;

/** What a coordinator says about itself in the registry, so a worker of another identity can say why it waits. */
export const CoordinatorInfo = z.object({ name: z.string(), identity: IdentitySchema, seen: z.number() });
export type CoordinatorInfo = z.infer<typeof CoordinatorInfo>;

export const WORKERS_KEY = `${PREFIX}:workers`;
export const COORDINATORS_KEY = `${PREFIX}:coordinators`;
export const CANCEL_CHANNEL = `${PREFIX}:cancel`;
export const blobKey = (sha256: string) => `${PREFIX}:blob:${sha256}`;

/** A registry entry older than this is a machine that went away. */
export const REGISTRY_TTL_MS = 15_000;
export const HEARTBEAT_MS = 2_000;

export function jobId(key: string, attempt: number): string {
  return `${key}-${attempt}`;
}

/** A registry entry from Redis, or null when it is not JSON of that shape (another version's, or damaged). */
export function parseJson<T>(raw: string, schema: z.ZodType<T>): T | null {
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
