/**
 * The Trainer contract over HTTP (trainer protocol 1, docs/trainer-protocol.md): a client for the reference
 * Python server or any other backend speaking the same protocol. Every reply is checked with zod; connection
 * failures of idempotent calls (health, capabilities, version, save, load) are retried with backoff, while
 * forward_backward and optim_step are never repeated: gradients would be added twice, or a step applied twice.
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import type { AdamParams, Datum, ForwardBackwardResult, LossSpec, OptimStepResult, Trainer } from "./types.js";

export { startTrainerServer, ensureTinyModel, type TrainerServer, type TrainerServerOptions } from "./http-server.js";

export const TRAINER_PROTOCOL = 1;
export const DEFAULT_TRAINER_URL = "http://127.0.0.1:8600";

export const Health = z.object({ ok: z.literal(true), protocol: z.number().int(), version: z.number().int().nonnegative() }).loose();
export const Capabilities = z
  .object({
    protocol: z.number().int(),
    losses: z.array(z.string()),
    model: z.string(),
    adapter: z.object({ kind: z.string(), r: z.number().int(), alpha: z.number() }).loose(),
    serves: z.object({ completions: z.boolean(), chat: z.boolean() }).loose(),
    vllm: z.string().nullable(),
    eosTokenId: z.number().int().nullable(),
  })
  .loose();
export type Capabilities = z.infer<typeof Capabilities>;
const VersionReply = z.object({ version: z.number().int().nonnegative() }).loose();
const ForwardBackwardReply = z.object({
  loss: z.number(),
  logprobs: z.array(z.array(z.number())),
  metrics: z.object({
    trainedTokens: z.number().int().nonnegative(),
    clipFraction: z.number(),
    meanRatio: z.number(),
    kl: z.number(),
  }),
});
const OptimStepReply = z.object({ version: z.number().int().nonnegative(), gradNorm: z.number() }).loose();
const ErrorReply = z.object({ error: z.object({ type: z.string(), message: z.string() }).loose() }).loose();

/** A failed trainer call: names the server, the endpoint and, for an error reply, its status and type. */
export class TrainerHttpError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly url: string,
    readonly endpoint: string,
    readonly status?: number,
    readonly type?: string,
  ) {
    super(message, hint);
    this.name = "TrainerHttpError";
  }
}

export interface HttpTrainerOptions {
  /** Time limit of health/capabilities/version calls, milliseconds. */
  controlTimeoutMs?: number;
  /** Time limit of forward_backward, optim_step, save and load, milliseconds (a real model on CPU is slow). */
  trainTimeoutMs?: number;
  /** Further attempts of an idempotent call after a connection failure. */
  retries?: number;
  /** First backoff delay, milliseconds; doubles per attempt. */
  backoffMs?: number;
}

export const DEFAULT_HTTP_TRAINER = { controlTimeoutMs: 30_000, trainTimeoutMs: 30 * 60_000, retries: 4, backoffMs: 250 } as const;

const START_HINT = (url: string) =>
  `start it with \`mlerl trainer serve --port ${portOf(url)}\` (add --model PATH for a real model), or pass the address of a running one; ` +
  "a stopped training run continues with `mlerl train --resume DIR`";

function portOf(url: string): string {
  try {
    const u = new URL(url);
    return u.port || (u.protocol === "https:" ? "443" : "80");
  } catch {
    return "8600";
  }
}

/** The trainer's root URL from what a user typed, without a trailing slash. */
export function trainerRoot(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`'${url}' is not a URL`, `pass the trainer's address, e.g. --trainer-url ${DEFAULT_TRAINER_URL}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new UserError(`'${url}' is not an http(s) URL`, `e.g. --trainer-url ${DEFAULT_TRAINER_URL}`);
  return u.toString().replace(/\/+$/, "");
}

/** The code of the innermost cause of a fetch failure (ECONNREFUSED, ECONNRESET, ENOTFOUND ...). */
function networkCause(e: unknown): string {
  let cur: unknown = e;
  let last = String(e);
  for (let i = 0; i < 5 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    last = typeof code === "string" ? code : cur.message;
    cur = cur.cause;
  }
  return last;
}

/** Causes that mean no server listens there (as opposed to one that went away mid-request). */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ETIMEDOUT"]);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface CallSpec<T> {
  method: "GET" | "POST";
  path: string;
  body?: unknown;
  schema: z.ZodType<T>;
  idempotent: boolean;
  timeoutMs: number;
}

export class HttpTrainer implements Trainer {
  readonly name = "http";
  readonly url: string;
  private readonly o: Required<HttpTrainerOptions>;
  private current = 0;
  private caps: Capabilities | undefined;

  constructor(url: string, opts: HttpTrainerOptions = {}) {
    this.url = trainerRoot(url);
    this.o = {
      controlTimeoutMs: opts.controlTimeoutMs ?? DEFAULT_HTTP_TRAINER.controlTimeoutMs,
      trainTimeoutMs: opts.trainTimeoutMs ?? DEFAULT_HTTP_TRAINER.trainTimeoutMs,
      retries: opts.retries ?? DEFAULT_HTTP_TRAINER.retries,
      backoffMs: opts.backoffMs ?? DEFAULT_HTTP_TRAINER.backoffMs,
    };
  }

  /** A client whose server has answered /health with protocol 1 and /capabilities; version() is then current. */
  static async connect(url: string, opts: HttpTrainerOptions = {}): Promise<HttpTrainer> {
    const t = new HttpTrainer(url, opts);
    await t.health();
    await t.capabilities();
    return t;
  }

  /** The version of the last reply seen; call refreshVersion() to ask the server. */
  version(): number {
    return this.current;
  }

  async health(): Promise<z.infer<typeof Health>> {
    const h = await this.call({ method: "GET", path: "/health", schema: Health, idempotent: true, timeoutMs: this.o.controlTimeoutMs });
    if (h.protocol !== TRAINER_PROTOCOL) {
      throw new TrainerHttpError(
        `trainer at ${this.url} speaks protocol ${h.protocol}, this mlerl speaks protocol ${TRAINER_PROTOCOL}`,
        "run a trainer server of the same mlerl version (see docs/trainer-protocol.md)",
        this.url,
        "GET /health",
      );
    }
    this.current = h.version;
    return h;
  }

  async capabilities(): Promise<Capabilities> {
    this.caps = await this.call({
      method: "GET",
      path: "/capabilities",
      schema: Capabilities,
      idempotent: true,
      timeoutMs: this.o.controlTimeoutMs,
    });
    return this.caps;
  }

  async refreshVersion(): Promise<number> {
    const v = await this.call({
      method: "GET",
      path: "/version",
      schema: VersionReply,
      idempotent: true,
      timeoutMs: this.o.controlTimeoutMs,
    });
    this.current = v.version;
    return v.version;
  }

  async forwardBackward(datums: Datum[], loss: LossSpec): Promise<ForwardBackwardResult> {
    if (datums.length === 0) throw new Error("forwardBackward needs at least one datum");
    const r = await this.call({
      method: "POST",
      path: "/forward_backward",
      body: { datums, loss },
      schema: ForwardBackwardReply,
      idempotent: false,
      timeoutMs: this.o.trainTimeoutMs,
    });
    // The reply must line up with the request, or every later ratio would be computed against the wrong token.
    const mismatch =
      r.logprobs.length !== datums.length
        ? `${r.logprobs.length} logprob rows for ${datums.length} datums`
        : datums.findIndex((d, i) => r.logprobs[i]!.length !== d.targetTokens.length);
    if (typeof mismatch === "string" || mismatch >= 0) {
      const what =
        typeof mismatch === "string"
          ? mismatch
          : `datum ${mismatch} has ${datums[mismatch]!.targetTokens.length} targets but ${r.logprobs[mismatch]!.length} logprobs`;
      throw this.malformed("POST /forward_backward", what);
    }
    return r;
  }

  async optimStep(adam: AdamParams): Promise<OptimStepResult> {
    const r = await this.call({
      method: "POST",
      path: "/optim_step",
      body: { adam },
      schema: OptimStepReply,
      idempotent: false,
      timeoutMs: this.o.trainTimeoutMs,
    });
    this.current = r.version;
    return { version: r.version, gradNorm: r.gradNorm };
  }

  /** Saves on the server's filesystem: `dir` must be an absolute path the server can write. */
  async save(dir: string): Promise<void> {
    const r = await this.call({
      method: "POST",
      path: "/save",
      body: { dir },
      schema: VersionReply,
      idempotent: true,
      timeoutMs: this.o.trainTimeoutMs,
    });
    this.current = r.version;
  }

  async load(dir: string): Promise<void> {
    const r = await this.call({
      method: "POST",
      path: "/load",
      body: { dir },
      schema: VersionReply,
      idempotent: true,
      timeoutMs: this.o.trainTimeoutMs,
    });
    this.current = r.version;
  }

  private malformed(endpoint: string, what: string): TrainerHttpError {
    return new TrainerHttpError(
      `trainer at ${this.url} sent a malformed reply to ${endpoint}: ${what}`,
      `check that ${this.url} runs a trainer speaking protocol ${TRAINER_PROTOCOL} (docs/trainer-protocol.md), not another kind of server`,
      this.url,
      endpoint,
    );
  }

  private async call<T>(spec: CallSpec<T>): Promise<T> {
    const endpoint = `${spec.method} ${spec.path}`;
    const url = `${this.url}${spec.path}`;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(spec.timeoutMs);
      let res: Response;
      let text: string;
      try {
        res = await fetch(url, {
          method: spec.method,
          headers: spec.body === undefined ? {} : { "content-type": "application/json" },
          body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
          signal: timeout,
        });
        text = await res.text();
      } catch (e) {
        if (timeout.aborted) {
          throw new TrainerHttpError(
            `trainer at ${this.url} did not answer ${endpoint} within ${(spec.timeoutMs / 1000).toFixed(spec.timeoutMs < 10_000 ? 1 : 0)} s`,
            "the server may be overloaded or stuck; check its log, or raise the trainer timeout",
            this.url,
            endpoint,
          );
        }
        const cause = networkCause(e);
        if (spec.idempotent && attempt < this.o.retries) {
          await sleep(this.o.backoffMs * 2 ** attempt);
          continue;
        }
        const tries = spec.idempotent ? ` after ${attempt + 1} attempts` : "";
        const what = UNREACHABLE.has(cause) ? "is not reachable" : "dropped the connection (it may have crashed or been stopped)";
        throw new TrainerHttpError(
          `trainer at ${this.url} ${what} (${cause}) for ${endpoint}${tries}`,
          START_HINT(this.url),
          this.url,
          endpoint,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        if (!res.ok)
          throw new TrainerHttpError(
            `trainer at ${this.url} failed ${endpoint} (HTTP ${res.status}): ${text.trim().slice(0, 300) || "(empty body)"}`,
            "check the server's log",
            this.url,
            endpoint,
            res.status,
          );
        throw this.malformed(endpoint, `not JSON: ${text.trim().slice(0, 200) || "(empty body)"}`);
      }
      if (!res.ok) {
        const err = ErrorReply.safeParse(json);
        const type = err.success ? err.data.error.type : undefined;
        const said = err.success ? `${err.data.error.type}: ${err.data.error.message}` : text.trim().slice(0, 300);
        const hint =
          res.status >= 500
            ? "the server failed; its log has the details"
            : "the request was refused as shown; fix the call or the server's options";
        throw new TrainerHttpError(
          `trainer at ${this.url} refused ${endpoint} (HTTP ${res.status}) ${said}`,
          hint,
          this.url,
          endpoint,
          res.status,
          type,
        );
      }
      const parsed = spec.schema.safeParse(json);
      if (!parsed.success) throw this.malformed(endpoint, z.prettifyError(parsed.error).replace(/\n+/g, "; "));
      return parsed.data;
    }
  }
}
