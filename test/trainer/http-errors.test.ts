import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpTrainer, TrainerHttpError } from "../../src/trainer/http.js";
import type { Datum } from "../../src/trainer/types.js";

/** A stand-in server on 127.0.0.1 that answers every request with `handler`; counts requests per path. */
async function fakeServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: string; server: Server; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const n = (hits.get(req.url ?? "") ?? 0) + 1;
      hits.set(req.url ?? "", n);
      handler(req, res, n);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, hits };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const close = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

const datum: Datum = { modelInput: [1, 2, 3], targetTokens: [2, 3, 4], logprobs: [0, -1, -1], advantages: [0, 1, 1] };
const fast = { retries: 2, backoffMs: 20, controlTimeoutMs: 2000, trainTimeoutMs: 2000 };

async function rejected(p: Promise<unknown>): Promise<TrainerHttpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TrainerHttpError, `expected a TrainerHttpError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

test("a server that is down: the error names the URL, the cause and how to start the trainer", async () => {
  const { url, server } = await fakeServer(() => {});
  await close(server); // the port is now closed
  const t = new HttpTrainer(url, fast);
  const e = await rejected(t.health());
  assert.match(e.message, new RegExp(`trainer at ${url.replace(/[.]/g, "\\.")} is not reachable \\(ECONNREFUSED\\)`));
  assert.match(e.message, /after 3 attempts/);
  assert.match(e.hint ?? "", /mlerl trainer serve --port \d+/);
  const fb = await rejected(t.forwardBackward([datum], { name: "ppo" }));
  assert.match(fb.message, /not reachable \(ECONNREFUSED\) for POST \/forward_backward$/);
});

test("idempotent calls are retried after a dropped connection; forward_backward and optim_step never are", async () => {
  const { url, server, hits } = await fakeServer((req, res, n) => {
    if (n === 1) return req.socket.destroy(); // the first request of each path loses its connection
    if (req.url === "/health") return json(res, 200, { ok: true, protocol: 1, version: 3 });
    if (req.url === "/forward_backward")
      return json(res, 200, { loss: 0, logprobs: [[0, 0, 0]], metrics: { trainedTokens: 2, clipFraction: 0, meanRatio: 1, kl: 0 } });
    return json(res, 200, { version: 4, gradNorm: 1 });
  });
  try {
    const t = new HttpTrainer(url, fast);
    const h = await t.health();
    assert.equal(h.version, 3);
    assert.equal(t.version(), 3);
    assert.equal(hits.get("/health"), 2);
    const dropped = await rejected(t.forwardBackward([datum], { name: "ppo" }));
    assert.match(
      dropped.message,
      new RegExp(`trainer at ${url.replace(/[.]/g, "\\.")} dropped the connection .* for POST /forward_backward$`),
    );
    assert.equal(hits.get("/forward_backward"), 1);
    await rejected(t.optimStep({ learningRate: 0.1 }));
    assert.equal(hits.get("/optim_step"), 1);
    assert.equal(t.version(), 3, "a failed step does not move the version");
  } finally {
    await close(server);
  }
});

test("malformed replies become one clear sentence naming the endpoint and the field", async () => {
  const { url, server } = await fakeServer((req, res) => {
    if (req.url === "/forward_backward") return json(res, 200, { loss: "low", logprobs: [[0]], metrics: {} });
    if (req.url === "/optim_step") return json(res, 200, "<html>not a trainer</html>");
    if (req.url === "/version") return json(res, 200, { version: -1 });
    return json(res, 200, { ok: true, protocol: 1, version: 0 });
  });
  try {
    const t = new HttpTrainer(url, fast);
    const fb = await rejected(t.forwardBackward([datum], { name: "ppo" }));
    assert.match(fb.message, /sent a malformed reply to POST \/forward_backward: .*loss/);
    assert.match(fb.message, /metrics\.trainedTokens/);
    assert.ok(!fb.message.includes("\n"), "one line");
    assert.match(fb.hint ?? "", /protocol 1/);
    const os = await rejected(t.optimStep({ learningRate: 0.1 }));
    assert.match(os.message, /malformed reply to POST \/optim_step: not JSON: <html>/);
    const v = await rejected(t.refreshVersion());
    assert.match(v.message, /malformed reply to GET \/version: .*version/);
  } finally {
    await close(server);
  }
});

test("a forward_backward reply that does not line up with the datums is rejected", async () => {
  const { url, server } = await fakeServer((_req, res) =>
    json(res, 200, { loss: 1, logprobs: [[-1, -2]], metrics: { trainedTokens: 2, clipFraction: 0, meanRatio: 1, kl: 0 } }),
  );
  try {
    const e = await rejected(new HttpTrainer(url, fast).forwardBackward([datum], { name: "importance_sampling" }));
    assert.match(e.message, /datum 0 has 3 targets but 2 logprobs/);
  } finally {
    await close(server);
  }
});

test("error replies keep the server's status, type and message", async () => {
  const { url, server } = await fakeServer((req, res) => {
    if (req.url === "/load")
      return json(res, 400, { error: { type: "checkpoint_not_found", message: "/x/trainer-state.json does not exist" } });
    return json(res, 500, "Internal Server Error");
  });
  try {
    const t = new HttpTrainer(url, fast);
    const e = await rejected(t.load("/x"));
    assert.equal(e.status, 400);
    assert.equal(e.type, "checkpoint_not_found");
    assert.match(e.message, /refused POST \/load \(HTTP 400\) checkpoint_not_found: \/x\/trainer-state\.json does not exist/);
    const s = await rejected(t.optimStep({ learningRate: 1 }));
    assert.equal(s.status, 500);
    assert.match(s.message, /failed POST \/optim_step \(HTTP 500\): Internal Server Error/);
  } finally {
    await close(server);
  }
});

test("a server that never answers times out with a message naming the call", async () => {
  const { url, server } = await fakeServer(() => {}); // accepts, never replies
  try {
    const t = new HttpTrainer(url, { ...fast, controlTimeoutMs: 200, trainTimeoutMs: 300 });
    const e = await rejected(t.capabilities());
    assert.match(e.message, /did not answer GET \/capabilities within 0\.2 s/);
    const f = await rejected(t.forwardBackward([datum], { name: "ppo" }));
    assert.match(f.message, /did not answer POST \/forward_backward within 0\.3 s/);
  } finally {
    await close(server);
  }
});

test("a server of another protocol version is refused at connect", async () => {
  const { url, server } = await fakeServer((_req, res) => json(res, 200, { ok: true, protocol: 2, version: 0 }));
  try {
    const e = await rejected(HttpTrainer.connect(url, fast));
    assert.match(e.message, /speaks protocol 2, this mlerl speaks protocol 1/);
  } finally {
    await close(server);
  }
});

test("a trainer URL that is not http(s) is a user error", () => {
  assert.throws(() => new HttpTrainer("ftp://x"), /not an http\(s\) URL/);
  assert.throws(() => new HttpTrainer("nope"), /is not a URL/);
});
