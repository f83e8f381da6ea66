import type { TaskSpec } from "../spec.js";

export interface PrepareDirs {
  publicDir: string;
  privateDir: string;
}

/**
 * A built-in mini task: a spec plus a deterministic generator of its prepared files. Same seed, same bytes:
 * the generator must depend on nothing but the seed and data shipped with the repo or an installed package.
 */
export interface BuiltinTask {
  spec: TaskSpec;
  /** Bump when generated data changes, so prepared dirs from an older version are regenerated. */
  version: number;
  generate(dirs: PrepareDirs, seed: number): Promise<void> | void;
}
