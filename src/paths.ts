import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Root of everything mlerl caches on this machine (venv, data). `MLERL_HOME` overrides it. */
export function mlerlHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLERL_HOME) return resolve(env.MLERL_HOME);
  const cache = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache");
  return join(cache, "mlerl");
}

/** Where task data lives: `--data-dir`, else `MLERL_DATA_DIR`, else `<mlerl home>/data`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLERL_DATA_DIR) return resolve(env.MLERL_DATA_DIR);
  return join(mlerlHome(env), "data");
}

/** The repository root (works from src/ under tsx and from dist/ after a build). */
export function repoRoot(): string {
  return resolve(new URL("..", import.meta.url).pathname);
}
