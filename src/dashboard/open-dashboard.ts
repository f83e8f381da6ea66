/**
 * `mlerl dashboard` as a library, its composition root (the dashboard stands on run/'s floor, so it lives here):
 * load or bundle the page, pick the token (none on loopback unless given, a fresh one elsewhere), open the server.
 */
import { randomBytes } from "node:crypto";
import { loadAssets } from "./bundle.js";
import { isLoopback, startDashboard, type Dashboard } from "./server.js";
import { registryLookup } from "./tasks.js";
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
