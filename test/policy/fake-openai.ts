/**
 * A small OpenAI-compatible server on 127.0.0.1 for client tests: a real node:http server whose handler each test
 * sets, recording every request body and how many requests were in flight at once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeReply {
  status?: number;
  /** A JSON value, or a raw string sent as-is. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client's timeout must fire). */
  hang?: boolean;
}

export type FakeHandler = (path: string, body: Record<string, unknown>, n: number) => FakeReply;

export class FakeOpenAI {
  readonly requests: { path: string; body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }[] = [];
  maxInFlight = 0;
  handler: FakeHandler = () => ({ status: 500, body: { error: { type: "no_handler", message: "no handler set" } } });
  private inFlight = 0;
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<FakeOpenAI> {
    const f = new FakeOpenAI();
    await new Promise<void>((r) => f.server.listen(0, "127.0.0.1", r));
    return f;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let raw = "";
    for await (const chunk of req) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    this.requests.push({ path: req.url ?? "", body, headers: req.headers });
    const reply = this.handler(req.url ?? "", body, this.requests.length);
    if (reply.hang) {
      this.hanging.add(res);
      res.on("close", () => {
        this.inFlight -= 1;
        this.hanging.delete(res);
      });
      return;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    res.writeHead(reply.status ?? 200, { "content-type": "application/json" });
    res.end(typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? {}));
    this.inFlight -= 1;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A vLLM-shaped chat reply. */
export function chatReply(opts: {
  content: string;
  promptIds?: number[];
  ids?: number[] | null;
  logprobs?: (number | null)[] | null;
  finish?: string;
  model?: string;
  adapterVersion?: number;
}) {
  const ids = opts.ids === undefined ? [11, 12, 13] : opts.ids;
  const lps = opts.logprobs === undefined ? (ids ?? []).map((_, i) => -0.5 - i) : opts.logprobs;
  return {
    id: "chatcmpl-1",
    object: "chat.completion",
    model: opts.model ?? "policy",
    ...(opts.adapterVersion !== undefined ? { adapter_version: opts.adapterVersion } : {}),
    prompt_token_ids: opts.promptIds ?? [1, 2, 3, 4],
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: opts.content },
        finish_reason: opts.finish ?? "stop",
        ...(ids !== null ? { token_ids: ids } : {}),
        logprobs: lps === null ? null : { content: lps.map((l, i) => ({ token: `t${i}`, logprob: l, bytes: null, top_logprobs: [] })) },
      },
    ],
    usage: { prompt_tokens: 4, completion_tokens: ids?.length ?? 0, total_tokens: 4 + (ids?.length ?? 0) },
  };
}

/** A vLLM-shaped completions reply (prompt ids per choice, as vLLM puts them). */
export function completionsReply(opts: {
  text: string;
  promptIds?: number[];
  ids?: number[];
  logprobs?: number[];
  finish?: string;
  model?: string;
}) {
  const ids = opts.ids ?? [21, 22];
  return {
    id: "cmpl-1",
    object: "text_completion",
    model: opts.model ?? "base",
    choices: [
      {
        index: 0,
        text: opts.text,
        finish_reason: opts.finish ?? "length",
        token_ids: ids,
        prompt_token_ids: opts.promptIds ?? [5, 6, 7],
        logprobs: {
          tokens: ids.map((i) => `t${i}`),
          token_logprobs: opts.logprobs ?? ids.map(() => -1.25),
          top_logprobs: null,
          text_offset: ids.map(() => 0),
        },
      },
    ],
  };
}
