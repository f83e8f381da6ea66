/**
 * `mlerl dashboard` as a library: bundle (or load) the page, open the server on the given address with a token
 * when it is not a loopback one, and keep it until the signal aborts.
 */
import { randomBytes } from "node:crypto";
import { loadAssets } from "../dashboard/bundle.js";
import { isLoopback, startDashboard, type Dashboard } from "../dashboard/server.js";
import { registryLookup } from "../dashboard/tasks.js";
import { UserError } from "../errors.js";

export interface DashboardRunOptions {
  dirs: readonly string[];
  host: string;
  port: number;
  /** A token given by the user; null: none on loopback, a generated one elsewhere. */
  token: string | null;
  dataDir: string;
}

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

export async function openDashboard(opts: DashboardRunOptions): Promise<Dashboard & { token: string | null }> {
  if (opts.token !== null && !/^[A-Za-z0-9._~-]{16,200}$/.test(opts.token))
    throw new UserError(
      "--token must be 16 to 200 characters of letters, digits, . _ ~ -",
      "pass a longer random token, or leave --token out to get one",
    );
  const token = opts.token ?? (isLoopback(opts.host) ? null : newToken());
  const assets = await loadAssets();
  try {
    const d = await startDashboard({
      dirs: opts.dirs,
      host: opts.host,
      port: opts.port,
      token,
      assets,
      lookup: registryLookup(opts.dataDir),
    });
    return { ...d, token };
  } catch (e) {
    if (e instanceof Error && "code" in e && (e.code === "EADDRINUSE" || e.code === "EADDRNOTAVAIL" || e.code === "EACCES"))
      throw new UserError(`cannot listen on ${opts.host}:${opts.port} (${e.code})`, "pick another --port (0: any free one) or --host");
    throw e;
  }
}
