import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { BuiltinTask } from "./builtin/types.js";
import type { TaskPaths } from "../core/task.js";

/** Written last into prepared/: its presence (with the right version and seed) means the task is complete. */
export const STAMP_FILE = ".mlerl-prepared.json";

const Stamp = z.object({ task: z.string(), version: z.number().int(), seed: z.number().int() });
export type Stamp = z.infer<typeof Stamp>;

export function readStamp(paths: TaskPaths): Stamp | undefined {
  const path = join(paths.root, "prepared", STAMP_FILE);
  if (!existsSync(path)) return undefined;
  try {
    return Stamp.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return undefined; // an unreadable stamp is treated as "not prepared" and regenerated
  }
}

export function isCurrent(task: BuiltinTask, paths: TaskPaths, seed: number): boolean {
  const s = readStamp(paths);
  return (
    s !== undefined &&
    s.task === task.spec.id &&
    s.version === task.version &&
    s.seed === seed &&
    existsSync(paths.publicDir) &&
    existsSync(paths.privateDir)
  );
}

const TMP = /^\.prepared\.(tmp|old)-(\d+)-/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Remove work dirs left by preparers that died (a live preparer's dirs are left alone). */
function sweepLeftovers(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const m = TMP.exec(name);
    if (m && !alive(Number(m[2]))) rmSync(join(root, name), { recursive: true, force: true });
  }
}

export type PrepareOutcome = "generated" | "up-to-date";

/**
 * Generate a built-in task into `<root>/prepared/{public,private}` atomically: everything is written into a
 * sibling temp dir (stamp last) and renamed into place, so a crash at any point leaves either the previous
 * complete version, or nothing, never a half-written task that looks prepared.
 */
export async function prepareBuiltinTask(task: BuiltinTask, paths: TaskPaths, seed: number): Promise<PrepareOutcome> {
  if (isCurrent(task, paths, seed)) return "up-to-date";
  mkdirSync(paths.root, { recursive: true });
  sweepLeftovers(paths.root);
  const nonce = `${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const tmp = join(paths.root, `.prepared.tmp-${nonce}`);
  const dirs = { publicDir: join(tmp, "public"), privateDir: join(tmp, "private") };
  try {
    mkdirSync(dirs.publicDir, { recursive: true });
    mkdirSync(dirs.privateDir, { recursive: true });
    await task.generate(dirs, seed);
    const stamp: Stamp = { task: task.spec.id, version: task.version, seed };
    writeFileSync(join(tmp, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
    // Another process may have prepared the same version meanwhile (parallel test files, two shells): its
    // files are byte-identical, so keep them rather than swap directories under its readers.
    if (isCurrent(task, paths, seed)) return "up-to-date";
    const target = join(paths.root, "prepared");
    const old = join(paths.root, `.prepared.old-${nonce}`);
    try {
      if (existsSync(target)) renameSync(target, old);
      renameSync(tmp, target);
    } catch (e) {
      if (isCurrent(task, paths, seed)) return "up-to-date";
      throw e;
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return "generated";
}
