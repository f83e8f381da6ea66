/**
 * The Redis server of the job queue, from its URL: `redis://[user:password@]host[:port][/db]`, or `rediss://` for
 * TLS (MLERL_REDIS_CA names a CA file for a private certificate authority). Messages never show the password.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { RedisOptions as BullRedisOptions } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { UserError } from "../errors.js";

export interface RedisTarget {
  /** The URL with its password replaced by `***`, for messages. */
  shown: string;
  options: RedisOptions;
  /** The same options in BullMQ's type (it opens its own connections from them). */
  bull: BullRedisOptions;
}

const FIX = "start redis-server there (see docs/distributed.md), or pass the right --redis redis://[:password@]host:port";

/** Parses a queue URL; anything but redis:// and rediss:// is refused with the fix. */
export function redisTarget(url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis ${url}: not a URL`, "write it as redis://host:6379 or rediss://:password@host:6380");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new UserError(`--redis ${redact(u)}: the scheme must be redis:// or rediss:// (TLS)`, "e.g. --redis redis://127.0.0.1:6379");
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new UserError(`--redis ${redact(u)}: the path must be a database number`, "e.g. redis://host:6379/0");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const tls = u.protocol === "rediss:";
  const ca = env.MLERL_REDIS_CA;
  const plain = {
    host,
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    // MLERL_REDIS_PASSWORD keeps the password out of the URL, and so out of the run's stored config.
    ...(u.password ? { password: decodeURIComponent(u.password) } : env.MLERL_REDIS_PASSWORD ? { password: env.MLERL_REDIS_PASSWORD } : {}),
    // SNI takes a host name only; a certificate for an IP address is checked against its IP SAN all the same.
    ...(tls ? { tls: { ...(isIP(host) ? {} : { servername: host }), ...(ca ? { ca: readFileSync(ca) } : {}) } } : {}),
    // BullMQ's blocking commands must wait out a Redis restart rather than fail after a few retries.
    maxRetriesPerRequest: null,
    connectTimeout: 10_000,
  };
  const options: RedisOptions = plain;
  const bull: BullRedisOptions = plain;
  return { shown: redact(u), options, bull };
}

function redact(u: URL): string {
  const c = new URL(u.href);
  if (c.password) c.password = "***";
  return c.href.replace(/\/$/, "");
}

/**
 * A connection that has answered PING, or a one-line UserError naming the URL: at start-up an unreachable server
 * is a mistake to fix, not something to wait for. Once connected, the client reconnects by itself.
 */
export async function connectRedis(target: RedisTarget, name: string): Promise<Redis> {
  const probe = new Redis({
    ...target.options,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    connectionName: name,
  });
  let first: unknown = null;
  probe.on("error", (e: unknown) => (first ??= e));
  try {
    await withTimeout(
      probe.connect().then(() => probe.ping()),
      10_000,
    );
  } catch (e) {
    probe.disconnect();
    // The socket's own error ("connect ECONNREFUSED …", "WRONGPASS …") says more than "Connection is closed".
    const why = reason(first ?? e);
    const fix = /WRONGPASS|NOAUTH|AUTH/.test(why)
      ? "give the server's password: --redis redis://:PASSWORD@host:port, or MLERL_REDIS_PASSWORD"
      : FIX;
    throw new UserError(`cannot reach the job queue's Redis at ${target.shown}: ${why}`, fix);
  }
  probe.disconnect();
  const client = new Redis({ ...target.options, connectionName: name });
  client.on("error", () => {}); // reconnects by itself; commands wait in the offline queue meanwhile
  return client;
}

function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0] ?? m;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}
