import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { isAlive } from "./cgroup.js";

/**
 * In root mode /home/submission is a tmpfs of its own, mounted by mlerl on the host side of the run dir and
 * bound into the sandbox: capped in bytes and in inodes, in memory (its pages are charged to the writer, the
 * program, so to the run's memory cgroup, like /home/work), gone when unmounted. No write of the program
 * reaches the host's disk, and a million small files cost a bounded amount of memory, not a slow clean-up.
 * Only submission.csv is copied out (submission.ts), before the unmount. The starter (starter.ts) mounts it,
 * in the same shell that starts the sandbox: no extra process spawned from mlerl on the way to the program.
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

/** mount -o options for the capped tmpfs (owned by `uid`, mode 0700). */
export function submissionMountOptions(fs: SubmissionTmpfs): string {
  return [`size=${fs.bytes}`, `nr_inodes=${fs.inodes}`, "mode=0700", `uid=${fs.uid}`, `gid=${fs.uid}`, "nosuid", "nodev", "noexec"].join(
    ",",
  );
}

/** Can this process mount a tmpfs (root, not refused by a container's policy)? One trial mount, once per executor. */
export function canMountTmpfs(mount: string, umount: string): boolean {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), `mlerl-run-${process.pid}-probe-`));
  } catch {
    return false;
  }
  try {
    const m = spawnSync(mount, ["-t", "tmpfs", "-o", "size=4096,nr_inodes=16", SOURCE, dir], { stdio: "ignore", timeout: 10_000 });
    if (m.status !== 0) return false;
    return spawnSync(umount, [dir], { stdio: "ignore", timeout: 10_000 }).status === 0;
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      /* still mounted: left for the stale-mount clean-up */
    }
  }
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
    const m = /\/mlerl-run-(\d+)-[^/]*(\/submission)?$/.exec(mountPoint);
    if (m && !isAlive(Number(m[1]))) out.push(mountPoint);
  }
  return out;
}
