/**
 * A real redis-server for a test: 127.0.0.1, a free port, its own temp dir, append-only file with fsync on every
 * write (so even a kill -9 of the server loses nothing acknowledged). `restart` kills it with SIGKILL and starts it
 * again on the same port and files; `stop` ends it and removes the dir.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function haveRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A private CA and a certificate for 127.0.0.1 it signed, made with openssl in `dir`. */
export function makeTlsFiles(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
    "-days",
    "1",
    "-subj",
    "/CN=mlerl test CA",
  ]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("redis.key"), "-out", f("redis.csr"), "-subj", "/CN=127.0.0.1"]);
  writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  run(
    [
      "x509",
      "-req",
      "-in",
      f("redis.csr"),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f("redis.crt"),
      "-days",
      "1",
    ].concat(["-extfile", f("san.ext")]),
  );
  return { ca: f("ca.crt"), cert: f("redis.crt"), key: f("redis.key") };
}

export async function startRedis(opts: { password?: string; tls?: boolean } = {}): Promise<TestRedis & { ca?: string }> {
  if (!haveRedisServer())
    throw new Error("redis-server is not installed: run scripts/setup.sh as root, or apt-get install redis-server (test/queue/ needs it)");
  const dir = mkdtempSync(join(tmpdir(), "mlerl-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always"];
  args.push("--save", "", "--daemonize", "no", "--maxmemory-policy", "noeviction", "--loglevel", "warning");
  if (opts.password) args.push("--requirepass", opts.password);
  let ca: string | undefined;
  if (opts.tls) {
    const files = makeTlsFiles(dir);
    ca = files.ca;
    args.splice(0, 2, "--port", "0", "--tls-port", String(port), "--tls-cert-file", files.cert, "--tls-key-file", files.key);
    args.push("--tls-ca-cert-file", files.ca, "--tls-auth-clients", "no");
  }
  let proc: ChildProcess | null = null;
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : "";
  const url = `${opts.tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`;
  const launch = async () => {
    proc = spawn("redis-server", args, { stdio: ["ignore", "ignore", "inherit"] });
    await waitForPing(url, ca);
  };
  const kill = async (sig: NodeJS.Signals) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill(sig);
    });
  };
  await launch();
  return {
    url,
    port,
    dir,
    ...(ca ? { ca } : {}),
    restart: async () => {
      await kill("SIGKILL");
      await launch();
    },
    stop: async () => {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(url: string, ca?: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const tls = ca ? { tls: { ca: readFileSync(ca) } } : {};
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...tls });
    c.on("error", () => {});
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return;
    } catch {
      c.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on ${url} did not answer`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
