import { BUILTIN_TASK_IDS } from "../core/task.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { defaultDataDir } from "../paths.js";
import { BUILTIN_SEED, BUILTIN_TASKS, findBuiltin } from "./builtin/index.js";
import { MLEBENCH_COMPETITIONS } from "./mlebench/competitions.js";
import { agentPublicDir } from "./mlebench/agent-view.js";
import { loadPreparedSpec } from "./mlebench/load.js";
import { keepLeakyFields } from "./known-issues.js";
import { isCurrent, prepareBuiltinTask } from "./prepare.js";
import type { TaskPaths, TaskSource, TaskSpec } from "../core/task.js";

export type { TaskPaths, TaskSpec };

/** Ids of the built-in mini tasks (`mlerl tasks prepare` generates them). */
export { BUILTIN_TASK_IDS };
const generated = BUILTIN_TASKS.map((t) => t.spec.id);
if (generated.join() !== BUILTIN_TASK_IDS.join())
  throw new Error(
    `built-in task list out of date: core/task.ts says ${BUILTIN_TASK_IDS.join(", ")}, generators are ${generated.join(", ")}`,
  );

export interface TaskListing {
  spec: TaskSpec;
  source: TaskSource;
  prepared: boolean;
  paths: TaskPaths;
}

/** `<data-dir>/<id>/prepared/{public,private}`, MLE-bench's layout, for every source. */
export function taskPaths(id: string, dataDir: string): TaskPaths {
  const root = join(dataDir, id);
  return { root, publicDir: join(root, "prepared", "public"), privateDir: join(root, "prepared", "private") };
}

function mlebenchBase(id: string): TaskSpec | undefined {
  return MLEBENCH_COMPETITIONS.find((c) => c.id === id);
}

function knownIds(): string[] {
  return [...BUILTIN_TASK_IDS, ...MLEBENCH_COMPETITIONS.map((c) => c.id)];
}

/** Closest known ids by edit distance, for "did you mean". */
function suggestions(id: string): string[] {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0] as number;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j] as number;
        d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length] as number;
  };
  const scored = knownIds().map((k) => ({ k, d: dist(id, k) }));
  const best = Math.min(...scored.map((s) => s.d));
  return best <= Math.max(3, id.length / 3) ? scored.filter((s) => s.d === best).map((s) => s.k) : [];
}

function unknownTask(id: string): UserError {
  const near = suggestions(id);
  const didYouMean = near.length > 0 ? ` (did you mean ${near.map((n) => `'${n}'`).join(" or ")}?)` : "";
  return new UserError(`unknown task '${id}'${didYouMean}; known tasks: ${knownIds().join(", ")}`, "pick an id from `mlerl tasks list`");
}

function mlebenchPrepared(paths: TaskPaths): boolean {
  return existsSync(paths.publicDir) && existsSync(paths.privateDir);
}

/** The spec of a task; an MLE-bench one reads its description and any leaderboard from its prepared dir. */
export function getTask(id: string, dataDir: string): TaskSpec {
  const builtin = findBuiltin(id);
  if (builtin) return builtin.spec;
  const base = mlebenchBase(id);
  if (!base) throw unknownTask(id);
  const paths = taskPaths(id, dataDir);
  return mlebenchPrepared(paths) ? loadPreparedSpec(base, paths) : base;
}

/** Every known task with whether it is prepared under `dataDir`. */
export function listTasks(dataDir: string): TaskListing[] {
  const builtins = BUILTIN_TASKS.map((t): TaskListing => {
    const paths = taskPaths(t.spec.id, dataDir);
    return { spec: t.spec, source: "builtin", prepared: isCurrent(t, paths, BUILTIN_SEED), paths };
  });
  const mlebench = MLEBENCH_COMPETITIONS.map((base): TaskListing => {
    const paths = taskPaths(base.id, dataDir);
    const prepared = mlebenchPrepared(paths);
    let spec = base;
    if (prepared) {
      try {
        spec = loadPreparedSpec(base, paths);
      } catch (e) {
        // a broken leaderboard.csv must not hide the other tasks; getTask/requirePrepared report it
        if (!(e instanceof UserError)) throw e;
      }
    }
    return { spec, source: "mlebench", prepared, paths };
  });
  return [...builtins, ...mlebench];
}

function dataDirFlag(dataDir: string): string {
  return dataDir === defaultDataDir() ? "" : ` --data-dir ${dataDir}`;
}

export interface PrepareOptions {
  /**
   * Give the agent a field that leaks the label (known-issues.ts) instead of the view without it. Default: the
   * MLERL_KEEP_LEAKY_COLUMNS environment variable is 1.
   */
  keepLeakyFields?: boolean;
}

/**
 * The spec and paths of a task that is ready to run; otherwise a UserError saying how to prepare it. For an
 * MLE-bench competition whose public files leak the label, `paths.publicDir` (what the agent is shown) is the
 * view without the leaking field.
 */
export function requirePrepared(id: string, dataDir: string, opts: PrepareOptions = {}): { spec: TaskSpec; paths: TaskPaths } {
  const paths = taskPaths(id, dataDir);
  const builtin = findBuiltin(id);
  if (builtin) {
    if (!isCurrent(builtin, paths, BUILTIN_SEED)) {
      const stale = existsSync(paths.publicDir) ? " (its prepared files are from another version)" : "";
      throw new UserError(
        `task '${id}' is not prepared under ${dataDir}${stale}`,
        `run \`mlerl${dataDirFlag(dataDir)} tasks prepare ${id}\``,
      );
    }
    return { spec: builtin.spec, paths };
  }
  const base = mlebenchBase(id);
  if (!base) throw unknownTask(id);
  if (!mlebenchPrepared(paths)) {
    const missing = [paths.publicDir, paths.privateDir].filter((p) => !existsSync(p)).join(" and ");
    throw new UserError(
      `MLE-bench competition '${id}' is not prepared: ${missing} not found`,
      `prepare it with mlebench prepare into DATA_DIR: \`mlebench prepare -c ${id} --data-dir ${dataDir}\` (DATA_DIR = ${dataDir}), so that ${id}/prepared/public and ${id}/prepared/private exist there`,
    );
  }
  const publicDir = agentPublicDir(id, paths, { keepLeakyFields: opts.keepLeakyFields ?? keepLeakyFields() });
  const agentPaths = { ...paths, publicDir };
  return { spec: loadPreparedSpec(base, agentPaths), paths: agentPaths };
}

/**
 * Generate built-in tasks (all of them when `ids` is empty). Deterministic (same seed, same bytes, whatever the
 * data dir), idempotent (an up-to-date task is skipped) and atomic per task.
 */
export async function prepareTasks(
  ids: string[],
  dataDir: string,
  log: (line: string) => void,
  opts: { seed?: number } = {},
): Promise<void> {
  const seed = opts.seed ?? BUILTIN_SEED;
  const wanted = ids.length === 0 ? [...BUILTIN_TASK_IDS] : ids;
  const tasks = wanted.map((id) => {
    const t = findBuiltin(id);
    if (t) return t;
    if (mlebenchBase(id)) {
      throw new UserError(
        `'${id}' is an MLE-bench competition; mlerl only generates its built-in tasks`,
        `prepare it with mlebench prepare into DATA_DIR: \`mlebench prepare -c ${id} --data-dir ${dataDir}\`` +
          (findBuiltin(`mini-${id}`) ? `, or prepare its mini version: \`mlerl tasks prepare mini-${id}\`` : ""),
      );
    }
    throw unknownTask(id);
  });
  for (const [i, task] of tasks.entries()) {
    const id = task.spec.id;
    const started = Date.now();
    log(`[${i + 1}/${tasks.length}] ${id}: preparing ...`);
    const outcome = await prepareBuiltinTask(task, taskPaths(id, dataDir), seed);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    log(
      `[${i + 1}/${tasks.length}] ${id}: ${outcome === "up-to-date" ? "already prepared (same version and seed), skipped" : `generated in ${secs} s`}`,
    );
  }
}
