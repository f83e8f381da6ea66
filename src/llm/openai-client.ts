/**
 * One POST to an OpenAI-compatible server, the way RL needs it: a concurrency limit shared by every caller of
 * the client, a per-request timeout, the caller's AbortSignal, and retries with exponential backoff on what is
 * usually transient (connection refused/reset, 429, 5xx). Anything else is reported at once, naming the URL and
 * what the server said, because a misconfigured server does not get better by asking again.
 */
import { z } from "zod";
import { UserError } from "../errors.js";

export interface OpenAIClientOptions {
  /** Server root, with or without a trailing `/v1` (e.g. http://127.0.0.1:8600 or http://gpu:8000/v1). */
  baseUrl: string;
  /** Sent as a bearer token (vLLM's --api-key, hosted endpoints); default: $OPENAI_API_KEY, if set. */
  apiKey?: string;
  /** Requests in flight at once, over all callers of this client. */
  concurrency?: number;
  /** One attempt's time limit, milliseconds. */
  timeoutMs?: number;
  /** Further attempts after a transient failure. */
  retries?: number;
  /** First backoff delay, milliseconds; doubles per attempt. */
  backoffMs?: number;
  /** Cancels waiting, in-flight requests and backoff sleeps. */
  signal?: AbortSignal;
}

export const DEFAULT_CLIENT = { concurrency: 4, timeoutMs: 600_000, retries: 4, backoffMs: 500 } as const;

/** The `/v1` root of a server, from what a user typed. */
export function apiRoot(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UserError(`'${baseUrl}' is not a URL`, "pass the server's address, e.g. --base-url http://127.0.0.1:8000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UserError(`'${baseUrl}' is not an http(s) URL`, "e.g. --base-url http://127.0.0.1:8000");
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith("/v1") ? path : `${path}/v1`;
  return url.toString().replace(/\/+$/, "");
}

const ErrorBody = z
  .object({ error: z.union([z.string(), z.object({ message: z.string().optional(), type: z.string().optional() }).loose()]) })
  .loose();
/** FastAPI/pydantic style: {"detail": "..."} or {"detail": [{msg}]}. */
const DetailBody = z.object({ detail: z.unknown() }).loose();

/** The server's own words about a failed request, as short as possible. */
export function serverMessage(body: string): string {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return body.trim().slice(0, 300) || "(empty body)";
  }
  const e = ErrorBody.safeParse(json);
  if (e.success)
    return typeof e.data.error === "string" ? e.data.error : [e.data.error.type, e.data.error.message].filter(Boolean).join(": ");
  const d = DetailBody.safeParse(json);
  if (d.success) return JSON.stringify(d.data.detail).slice(0, 300);
  return body.trim().slice(0, 300);
}

/** A counting semaphore: at most `n` holders; waiters are served in arrival order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly n: number) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`concurrency must be a positive integer, got ${n}`);
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    else this.active += 1;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` never drops below what is really running.
      if (next) next();
      else this.active -= 1;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Why a fetch never got a response (ECONNREFUSED, ECONNRESET, DNS ...), from undici's error chain. */
function networkCause(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    parts.push(typeof code === "string" ? code : cur.message);
    cur = cur.cause;
  }
  return parts.at(-1) ?? String(e);
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export class OpenAIClient {
  readonly root: string;
  private readonly limiter: Limiter;
  private readonly o: Required<Omit<OpenAIClientOptions, "apiKey" | "signal" | "baseUrl">> & Pick<OpenAIClientOptions, "apiKey" | "signal">;

  constructor(opts: OpenAIClientOptions) {
    this.root = apiRoot(opts.baseUrl);
    this.o = {
      concurrency: opts.concurrency ?? DEFAULT_CLIENT.concurrency,
      timeoutMs: opts.timeoutMs ?? DEFAULT_CLIENT.timeoutMs,
      retries: opts.retries ?? DEFAULT_CLIENT.retries,
      backoffMs: opts.backoffMs ?? DEFAULT_CLIENT.backoffMs,
      apiKey: opts.apiKey ?? (process.env.OPENAI_API_KEY || undefined),
      signal: opts.signal,
    };
    this.limiter = new Limiter(this.o.concurrency);
  }

  /** The full URL of an endpoint under `/v1`. */
  url(path: string): string {
    return `${this.root}/${path.replace(/^\/+/, "")}`;
  }

  /**
   * POSTs JSON and returns the parsed JSON reply of a 2xx answer. Throws UserError for anything the user must
   * fix (server down after all retries, 4xx, a reply that is not JSON), naming the URL.
   */
  async post(path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const url = this.url(path);
    return this.limiter.run(async () => {
      let attempt = 0;
      for (;;) {
        const outer = [this.o.signal, signal].filter((s): s is AbortSignal => s !== undefined);
        outer.find((s) => s.aborted)?.throwIfAborted();
        const timeout = AbortSignal.timeout(this.o.timeoutMs);
        const all = AbortSignal.any([...outer, timeout]);
        let transient: string;
        try {
          const res = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) },
            body: JSON.stringify(body),
            signal: all,
          });
          const text = await res.text();
          if (res.ok) {
            try {
              return JSON.parse(text) as unknown;
            } catch {
              throw new UserError(
                `${url} answered with something that is not JSON: ${text.slice(0, 200)}`,
                "check that --base-url points at an OpenAI-compatible server (vLLM, SGLang, the mlerl trainer)",
              );
            }
          }
          const said = serverMessage(text);
          if (!RETRY_STATUS.has(res.status)) {
            throw new UserError(`${url} refused the request (HTTP ${res.status}): ${said}`, hintForStatus(res.status));
          }
          transient = `HTTP ${res.status}: ${said}`;
        } catch (e) {
          if (e instanceof UserError) throw e;
          const aborted = outer.find((s) => s.aborted);
          if (aborted) throw aborted.reason instanceof Error ? aborted.reason : new Error("aborted");
          if (timeout.aborted) {
            throw new UserError(
              `${url} did not answer within ${(this.o.timeoutMs / 1000).toFixed(this.o.timeoutMs < 10_000 ? 1 : 0)} s`,
              "raise the request timeout, lower --max-tokens, or check that the server is not overloaded",
            );
          }
          transient = `no connection (${networkCause(e)})`;
        }
        if (attempt >= this.o.retries) {
          throw new UserError(
            `${url} failed after ${attempt + 1} attempts: ${transient}`,
            "check that the server is running and reachable at that address (and restart it if it died); a stopped training run continues with `mlerl train --resume DIR`",
          );
        }
        await sleep(this.o.backoffMs * 2 ** attempt, outer.length ? AbortSignal.any(outer) : undefined);
        attempt += 1;
      }
    });
  }
}

function hintForStatus(status: number): string {
  if (status === 401 || status === 403) return "pass the server's API key (OPENAI_API_KEY)";
  if (status === 404)
    return "check --base-url (the server must serve /v1/completions and /v1/chat/completions) and --model (the name the server serves)";
  return "check --model, --max-tokens and the server's options; the message above is the server's";
}
