import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { isAlive } from "./cgroup.js";

/**
 * In root mode /home/submission is a tmpfs of its own, mounted by mlerl on the host side of the run dir and
 * bound into the sandbox: capped in bytes and in inodes, in memory (its pages are charged to the writer, the
 * program, so to the run's memory cgroup, like /home/work), gone when unmounted. No write of the program
 * reaches the host's disk, and a million small files cost a bounded amount of memory, not a slow clean-up.
 * Only submission.csv is copied out (submission.ts), before the unmount.
 *
 * A plain bind-mounted directory would be capped only per file (RLIMIT_FSIZE), and bwrap's own --tmpfs cannot
 * cap inodes and vanishes with the sandbox before the file can be copied.
 */

const run = promisify(execFile);

/** The mount source name: how stale mounts of dead mlerl processes are recognised. */
const SOURCE = "mlerl-submission";

export interface SubmissionTmpfs {
  bytes: number;
  inodes: number;
  uid: number;
}

/** Mounts the capped tmpfs on `dir` (owned by `uid`, mode 0700). Throws with mount's message if it cannot. */
export async function mountSubmissionTmpfs(mount: string, dir: string, fs: SubmissionTmpfs): Promise<void> {
  const opts = [`size=${fs.bytes}`, `nr_inodes=${fs.inodes}`, "mode=0700", `uid=${fs.uid}`, `gid=${fs.uid}`, "nosuid", "nodev", "noexec"];
  await run(mount, ["-t", "tmpfs", "-o", opts.join(","), SOURCE, dir], { timeout: 10_000 });
}

/** Lazily unmounts (the contents are freed once nothing holds them). Never throws. */
export async function unmountSubmissionTmpfs(umount: string, dir: string): Promise<void> {
  try {
    await run(umount, ["-l", dir], { timeout: 10_000 });
  } catch {
    /* already gone */
  }
}

/** Run dirs are named mlerl-run-<pid>-...: submission mounts of dead mlerl processes, from /proc/self/mountinfo. */
export function staleSubmissionMounts(mountinfo?: string): string[] {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/mountinfo", "utf8");
    } catch {
      return [];
    }
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const mountPoint = left.split(" ")[4];
    const [fsType, source] = right.split(" ");
    if (fsType !== "tmpfs" || source !== SOURCE || !mountPoint) continue;
    const m = /\/mlerl-run-(\d+)-[^/]*\/submission$/.exec(mountPoint);
    if (m && !isAlive(Number(m[1]))) out.push(mountPoint);
  }
  return out;
}
