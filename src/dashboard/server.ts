/**
 * The dashboard's HTTP server: one static page, its script and style sheet, and read-only JSON endpoints. There is
 * no endpoint that writes. Every request is checked before it is routed: on a loopback address only requests that
 * name a loopback host (a web page elsewhere cannot reach it through DNS rebinding), and whenever a token is set,
 * only requests that carry it (query, cookie or Authorization header). Every response forbids inline script and
 * framing (Content-Security-Policy), so even a rendering mistake could not run what an agent program printed.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { RolloutPageQuery } from "../store/rollout-page.js";
import type { RunsResponse } from "./api.js";
import { type Assets } from "./bundle.js";
import { reportsOfRun, scanCatalog, type Catalog, type CatalogEntry } from "./catalog.js";
import { curvesOf } from "./curves.js";
import { reportImages, reportView } from "./report-view.js";
import { memoOf, RunCache } from "./run-cache.js";
import { rolloutsPage } from "./rollouts-view.js";
import { rolloutView } from "./rollout-view.js";
import { runRow } from "./runs-view.js";
import { SitePlacer } from "./sites.js";
import type { TaskLookup } from "./tasks.js";
import { searchTrees } from "./trees.js";

export interface DashboardOptions {
  /** Run directories, or folders holding runs (looked through again on every listing). */
  dirs: readonly string[];
  host: string;
  /** 0: any free port. */
  port: number;
  /** Required of every request when set. */
  token: string | null;
  assets: Assets;
  lookup: TaskLookup;
}

export interface Dashboard {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const TOKEN_COOKIE = "mlerl_dashboard_token";
const RunId = z.string().regex(/^[0-9a-f]{12}$/);
const RunsParam = z
  .string()
  .max(2000)
  .transform((s) => s.split(",").filter((x) => x.length > 0))
  .pipe(z.array(RunId).min(1).max(50));
const RolloutId = z.coerce.number().int().nonnegative();
const ImageName = z.string().regex(/^[A-Za-z0-9._-]+\.png$/);

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Cache-Control": "no-store",
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlerl dashboard</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body><noscript>The mlerl dashboard needs JavaScript.</noscript><main id="app"></main></body>
</html>
`;

/** Whether a host name is a loopback address (where no token is needed). */
export function isLoopback(host: string): boolean {
  return host === "127.0.0.1" || host === "::1" || host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === TOKEN_COOKIE) return v.join("=");
  }
  return null;
}

/** The token the request carries, and whether it came in the URL (then the page gets it as a cookie). */
function presentedToken(req: IncomingMessage, url: URL): { token: string | null; fromQuery: boolean } {
  const q = url.searchParams.get("token");
  if (q !== null) return { token: q, fromQuery: true };
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return { token: auth.slice(7), fromQuery: false };
  return { token: cookieToken(req), fromQuery: false };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, ...extra });
  res.end(body);
}

function sendJson(res: ServerResponse, value: unknown): void {
  send(res, 200, "application/json; charset=utf-8", JSON.stringify(value));
}

function param<S extends z.ZodType>(url: URL, name: string, schema: S): z.output<S> {
  const raw = url.searchParams.get(name);
  const parsed = schema.safeParse(raw ?? undefined);
  if (!parsed.success) throw new HttpError(400, `query parameter "${name}": ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  if (!isLoopback(opts.host) && opts.token === null) throw new Error("a dashboard on a non-loopback address needs a token");
  const cache = new RunCache();
  const sites = new SitePlacer();
  let catalog: Catalog = scanCatalog(opts.dirs);
  let port = opts.port;

  const rescan = (): Catalog => (catalog = scanCatalog(opts.dirs));
  const runEntry = (id: string): CatalogEntry => {
    const found = catalog.runs.find((r) => r.id === id) ?? rescan().runs.find((r) => r.id === id);
    if (!found) throw new HttpError(404, `no run ${id} here (it may have been moved or deleted)`);
    return found;
  };
  const storeOf = (entry: CatalogEntry) => {
    const store = cache.store(entry.dir);
    if (store === null) throw new HttpError(409, `${entry.dir}: run.sqlite is missing or cannot be opened`);
    return store;
  };

  async function api(path: string, url: URL, res: ServerResponse): Promise<void> {
    switch (path) {
      case "/api/runs": {
        const c = rescan();
        const body: RunsResponse = {
          runs: c.runs.map((e) => runRow(e, cache.get(e.dir), opts.lookup)),
          missing: c.missing,
          reports: c.reports,
        };
        return sendJson(res, body);
      }
      case "/api/curves": {
        const ids = param(url, "runs", RunsParam);
        const runs = ids.map((id) => ({ id, data: cache.get(runEntry(id).dir) }));
        const only = runs.length === 1 ? runs[0] : undefined;
        return sendJson(res, only ? memoOf(only.data, "curves", () => curvesOf(runs, opts.lookup)) : curvesOf(runs, opts.lookup));
      }
      case "/api/run": {
        const entry = runEntry(param(url, "run", RunId));
        return sendJson(res, runRow(entry, cache.get(entry.dir), opts.lookup));
      }
      case "/api/rollouts": {
        const entry = runEntry(param(url, "run", RunId));
        const q = RolloutPageQuery.safeParse(Object.fromEntries([...url.searchParams].filter(([k, v]) => k !== "run" && v !== "")));
        if (!q.success) throw new HttpError(400, `rollouts query: ${q.error.issues[0]?.path.join(".")}: ${q.error.issues[0]?.message}`);
        return sendJson(res, rolloutsPage(storeOf(entry), q.data));
      }
      case "/api/rollout": {
        const runId = param(url, "run", RunId);
        const entry = runEntry(runId);
        const id = param(url, "id", RolloutId);
        const store = storeOf(entry);
        const rollout = store.rollout(id);
        if (!rollout) throw new HttpError(404, `run ${entry.dir} has no rollout ${id}`);
        const placed = await sites.sitesOf(rollout.action.code, rollout.record?.instrumentation.instrumenter ?? null);
        return sendJson(res, rolloutView({ runId, store, rollout, updates: cache.get(entry.dir).updates, sites: placed }));
      }
      case "/api/trees": {
        const entry = runEntry(param(url, "run", RunId));
        return sendJson(res, searchTrees(storeOf(entry)));
      }
      case "/api/report": {
        const entry = runEntry(param(url, "run", RunId));
        // Reports are written after runs: look for them again.
        return sendJson(res, reportView(cache.get(entry.dir), reportsOfRun(entry.dir, rescan().reports)));
      }
      case "/api/report-image": {
        const id = param(url, "report", RunId);
        const name = param(url, "name", ImageName);
        const report = catalog.reports.find((r) => r.id === id) ?? rescan().reports.find((r) => r.id === id);
        if (!report || !reportImages(report.dir).includes(name)) throw new HttpError(404, "no such plot");
        return send(res, 200, "image/png", readFileSync(join(report.dir, name)));
      }
      default:
        throw new HttpError(404, `no endpoint ${path}`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "text/plain; charset=utf-8", "the dashboard is read-only\n", { Allow: "GET, HEAD" });
    }
    if (isLoopback(opts.host)) {
      const host = (req.headers.host ?? "").replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
      if (!isLoopback(host)) return send(res, 421, "text/plain; charset=utf-8", "this dashboard answers only to a loopback host name\n");
    }
    const extra: Record<string, string> = {};
    if (opts.token !== null) {
      const { token, fromQuery } = presentedToken(req, url);
      if (token === null || !sameSecret(token, opts.token)) {
        return send(
          res,
          401,
          "text/plain; charset=utf-8",
          "mlerl dashboard: this address needs the token `mlerl dashboard` printed (open the URL it printed, with ?token=...)\n",
        );
      }
      if (fromQuery) extra["Set-Cookie"] = `${TOKEN_COOKIE}=${opts.token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    const path = url.pathname;
    // The page is opened once with the token in its URL; it goes on with the cookie, and the token leaves the
    // address bar (and the history).
    if (path === "/" && extra["Set-Cookie"] !== undefined)
      return send(res, 303, "text/plain; charset=utf-8", "", { ...extra, Location: "/" });
    if (path === "/") return send(res, 200, "text/html; charset=utf-8", PAGE, extra);
    if (path === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", opts.assets.js, extra);
    if (path === "/app.css") return send(res, 200, "text/css; charset=utf-8", opts.assets.css, extra);
    if (path === "/favicon.ico") return send(res, 204, "image/x-icon", "", extra);
    if (path.startsWith("/api/")) return api(path, url, res);
    throw new HttpError(404, `no page ${path}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) send(res, status, "application/json; charset=utf-8", JSON.stringify({ error: message }));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const url = `http://${shownHost}:${port}/${opts.token !== null ? `?token=${encodeURIComponent(opts.token)}` : ""}`;
  return {
    url,
    port,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      cache.close();
      await sites.close();
    },
  };
}
