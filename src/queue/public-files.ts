/**
 * A task's public files travel by content: the coordinator hashes them and puts each file in Redis once, under
 * its SHA-256; a worker uses its own copy of the task when that copy has the same hash (a built-in task it
 * generated with the same seed and version, or a shared data dir), else fetches the files from Redis and checks
 * every hash before it mounts them. Private files are never listed, hashed or sent.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, sep } from "node:path";
import type { Redis } from "ioredis";
import { blobKey, PublicData, type PublicFile } from "./protocol.js";

/** Files larger than this in total stay off Redis: workers must have the task's data themselves. */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;

/** Every regular file under `dir`, hashed; the set's hash covers paths, contents and sizes. */
export function manifestOf(dir: string): { hash: string; files: PublicFile[] } {
  const files: PublicFile[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    const bytes = readFileSync(full);
    files.push({ path: relative(dir, full).split(sep).join("/"), sha256: sha256(bytes), size: bytes.length });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { hash: manifestHash(files), files };
}

export function manifestHash(files: readonly PublicFile[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.path}\u0000${f.sha256}\u0000${f.size}\n`);
  return h.digest("hex");
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The coordinator's side: manifests cached per directory (task data does not change during a run), uploads done once. */
export class PublicFilesOut {
  private readonly manifests = new Map<string, PublicData>();
  private readonly uploaded = new Map<string, Promise<void>>();

  constructor(private readonly redis: Redis) {}

  async describe(publicDir: string): Promise<PublicData> {
    let data = this.manifests.get(publicDir);
    if (!data) {
      // <data-dir>/<task>/prepared/public: the task id lets a worker use its own copy (checked by hash).
      const task = basename(dirname(dirname(publicDir)));
      data = { ...manifestOf(publicDir), builtin: /^[a-z0-9][a-z0-9-]{0,100}$/.test(task) ? task : null };
      this.manifests.set(publicDir, data);
    }
    let up = this.uploaded.get(data.hash);
    if (!up) {
      up = this.upload(publicDir, data);
      this.uploaded.set(data.hash, up);
    }
    await up;
    return data;
  }

  private async upload(dir: string, data: PublicData): Promise<void> {
    const total = data.files.reduce((s, f) => s + f.size, 0);
    if (total > MAX_UPLOAD_BYTES) return;
    for (const f of data.files) {
      if ((await this.redis.exists(blobKey(f.sha256))) === 1) continue;
      await this.redis.set(blobKey(f.sha256), readFileSync(join(dir, ...f.path.split("/"))), "NX");
    }
  }
}

/** The worker's side: public dirs by hash, in `<cacheDir>/<hash>/`, made read-only once verified. */
export class PublicFilesIn {
  /** Public dirs by hash, resolved or being resolved (concurrent jobs of one task share one fetch). */
  private readonly known = new Map<string, Promise<string>>();

  constructor(
    private readonly redis: Redis,
    private readonly cacheDir: string,
    /** The worker's own copy of a task's public dir (generating a built-in one if needed), or null. */
    private readonly localCopy: (taskId: string) => Promise<string | null>,
  ) {}

  async resolve(data: PublicData): Promise<string> {
    const parsed = PublicData.parse(data);
    if (manifestHash(parsed.files) !== parsed.hash) throw new Error("the job's file list does not match its hash");
    let known = this.known.get(parsed.hash);
    if (!known) {
      known = this.find(parsed);
      this.known.set(parsed.hash, known);
      // A failed look is not remembered: the next job of the task tries again.
      known.catch(() => this.known.delete(parsed.hash));
    }
    return known;
  }

  private async find(data: PublicData): Promise<string> {
    const own = data.builtin ? await this.localCopy(data.builtin).catch(() => null) : null;
    if (own && manifestOf(own).hash === data.hash) return own;
    const dir = join(this.cacheDir, data.hash);
    if (existsSync(join(dir, ".complete")) && manifestOf(join(dir, "files")).hash === data.hash) return join(dir, "files");
    await this.fetch(data, dir);
    return join(dir, "files");
  }

  private async fetch(data: PublicData, dir: string): Promise<void> {
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      for (const f of data.files) {
        const bytes = await this.redis.getBuffer(blobKey(f.sha256));
        if (!bytes)
          throw new Error(
            `public file ${f.path} (${f.sha256.slice(0, 12)}) is neither in this worker's data dir nor in Redis; give the worker the task's data (--data-dir)`,
          );
        if (sha256(bytes) !== f.sha256 || bytes.length !== f.size)
          throw new Error(`public file ${f.path} from Redis does not match its hash`);
        const to = join(tmp, "files", ...f.path.split("/"));
        mkdirSync(dirname(to), { recursive: true });
        writeFileSync(to, bytes, { mode: 0o444 });
      }
      mkdirSync(join(tmp, "files"), { recursive: true });
      if (manifestOf(join(tmp, "files")).hash !== data.hash) throw new Error("the fetched public files do not match the job's hash");
      writeFileSync(join(tmp, ".complete"), `${data.hash}\n`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dirname(dir), { recursive: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}
