/**
 * A long-lived Python process that parses programs with Python's own `ast` (the exact grammar of the agent's
 * interpreter), so each request costs milliseconds instead of an interpreter start.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { z } from "zod";
import { repoRoot } from "../paths.js";
import { MARKER_KINDS } from "./types.js";

export const SiteSchema = z.object({
  after: z.number().int().nonnegative(),
  indent: z.string().regex(/^[ \t]*$/),
  kind: z.enum(MARKER_KINDS),
  value: z.string().nullable(),
});

/** The plain-ML profile's reasons (python/instrument/plain_profile.py); null when the program did not parse. */
const ProfileReasons = z.array(z.string()).nullable();
const SitesAnswer = z.object({
  id: z.number(),
  parsed: z.boolean(),
  note: z.string().nullable(),
  sites: z.array(SiteSchema),
  tampering: ProfileReasons,
});
const CheckAnswer = z.object({ id: z.number(), ok: z.boolean(), note: z.string().nullable(), tampering: ProfileReasons });
export type SitesAnswer = z.infer<typeof SitesAnswer>;
export type CheckAnswer = z.infer<typeof CheckAnswer>;

export function instrumentScript(): string {
  return join(repoRoot(), "python", "instrument", "instrument.py");
}

interface Pending {
  resolve: (line: unknown) => void;
  reject: (e: Error) => void;
}

export class AstWorker {
  private child: ChildProcessWithoutNullStreams | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private stderr = "";

  constructor(private readonly python: string) {}

  async sites(code: string): Promise<SitesAnswer> {
    return SitesAnswer.parse(await this.request({ op: "sites", code }));
  }

  async check(code: string, sites: unknown[]): Promise<CheckAnswer> {
    return CheckAnswer.parse(await this.request({ op: "check", code, sites }));
  }

  private request(body: Record<string, unknown>): Promise<unknown> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ref(true);
      child.stdin.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn(this.python, ["-I", "-S", instrumentScript()], { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return this.failAll(new Error(`instrumenter printed something that is not JSON: ${line.slice(0, 200)}`));
      }
      const id = z.object({ id: z.number() }).safeParse(parsed);
      const p = id.success ? this.pending.get(id.data.id) : undefined;
      if (!p || !id.success) return;
      this.pending.delete(id.data.id);
      p.resolve(parsed);
      if (this.pending.size === 0) this.ref(false);
    });
    child.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on("exit", (code, signal) => {
      this.child = undefined;
      this.failAll(new Error(`the instrumenter process exited (${signal ?? code}): ${this.stderr.trim().slice(-500)}`));
    });
    child.on("error", (e) => this.failAll(e));
    return child;
  }

  /** While no request is pending the helper must not keep Node alive. */
  private ref(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c, c.stdin, c.stdout, c.stderr] as Array<{ ref(): unknown; unref(): unknown }>) {
      if (on) s.ref();
      else s.unref();
    }
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const c = this.child;
    if (!c) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      this.ref(true); // keep Node alive until the helper has gone
      c.stdin.end();
    });
    this.child = undefined;
  }
}
