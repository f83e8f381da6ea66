import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Per-run control groups: the only limits on processes and memory that hold for root (root is exempt from
 * RLIMIT_NPROC) and that count the whole process tree together. Each run gets a fresh group nested under the
 * group mlerl itself runs in (so any limits placed on mlerl still apply to its programs), with pids.max and the
 * memory limit set; CPU time and peak memory are read from it when the program had to be killed.
 *
 * Both layouts are handled: cgroup v1 (one hierarchy per controller) and v2 (one unified hierarchy). For v2
 * the current group must already hand the controllers down (cgroup.subtree_control) and be writable; mlerl
 * does not move itself into a leaf to make that so. Anything that fails marks the controller unavailable;
 * callers fall back to rlimits.
 */

export type Controller = "pids" | "memory" | "cpuacct" | "cpu";

interface Hierarchy {
  version: 1 | 2;
  /** Directory of the group this process is in, under which run groups are created. */
  parent: string;
}

export interface CgroupSupport {
  pids: Hierarchy | null;
  memory: Hierarchy | null;
  cpuacct: Hierarchy | null;
  /** The CFS bandwidth controller: a per-run CPU quota. */
  cpu: Hierarchy | null;
  /** Human-readable notes on what is missing and why. */
  notes: string[];
}

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function readMounts(): MountEntry[] {
  let text: string;
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const l = left.split(" ");
    const r = right.split(" ");
    const root = l[3];
    const mountPoint = l[4];
    const fsType = r[0];
    if (!root || !mountPoint || !fsType) continue;
    out.push({ root, mountPoint, fsType, superOptions: (r[2] ?? "").split(",") });
  }
  return out;
}

/** Lines of /proc/self/cgroup as hierarchy-id → (controllers, path). */
function readSelfCgroups(): { controllers: string[]; path: string }[] {
  let text: string;
  try {
    text = readFileSync("/proc/self/cgroup", "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const first = l.indexOf(":");
      const second = l.indexOf(":", first + 1);
      return {
        controllers: l
          .slice(first + 1, second)
          .split(",")
          .filter(Boolean),
        path: l.slice(second + 1),
      };
    });
}

function joinCgroupPath(mount: MountEntry, path: string): string {
  // Inside a container the mount's root may itself be a sub-group; /proc/self/cgroup paths are relative to the
  // hierarchy's true root.
  const rel = mount.root !== "/" && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.mountPoint, rel);
}

/** Can we create (and remove) a child group here? */
function probeWritable(dir: string): boolean {
  const probe = join(dir, `mlerl-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

const V2_NAMES: Record<Controller, string> = { pids: "pids", memory: "memory", cpuacct: "cpu", cpu: "cpu" };
const CONTROLLERS = ["pids", "memory", "cpuacct", "cpu"] as const;
/** CFS period for the CPU quota: 100 ms, the kernel's default. */
const CPU_PERIOD_US = 100_000;

let cached: CgroupSupport | undefined;

/** Which controllers mlerl can use here. Cached: the answer does not change while the process runs. */
export function detectCgroups(): CgroupSupport {
  if (cached) return cached;
  const notes: string[] = [];
  const support: CgroupSupport = { pids: null, memory: null, cpuacct: null, cpu: null, notes };
  const mounts = readMounts();
  const self = readSelfCgroups();
  const v2mount = mounts.find((m) => m.fsType === "cgroup2");
  for (const c of CONTROLLERS) {
    const v1mount = mounts.find((m) => m.fsType === "cgroup" && m.superOptions.includes(c));
    const v1self = self.find((s) => s.controllers.includes(c));
    if (v1mount && v1self) {
      const parent = joinCgroupPath(v1mount, v1self.path);
      if (existsSync(join(parent, "cgroup.procs")) && probeWritable(parent)) {
        support[c] = { version: 1, parent };
      } else {
        notes.push(`cgroup v1 ${c} controller at ${parent} is not writable`);
      }
      continue;
    }
    const v2self = self.find((s) => s.controllers.length === 0);
    if (v2mount && v2self) {
      const parent = joinCgroupPath(v2mount, v2self.path);
      let available: string[] = [];
      try {
        available = readFileSync(join(parent, "cgroup.subtree_control"), "utf8").trim().split(/\s+/);
      } catch {
        /* not delegated */
      }
      if (available.includes(V2_NAMES[c]) && probeWritable(parent)) support[c] = { version: 2, parent };
      else notes.push(`cgroup v2 ${V2_NAMES[c]} controller is not delegated to this process (${parent})`);
      continue;
    }
    notes.push(`no ${c} cgroup controller mounted`);
  }
  cached = support;
  return support;
}

function readNumber(file: string): number | null {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function readKeyed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined) out.set(k, Number(v));
    }
  } catch {
    /* missing file: nothing to report */
  }
  return out;
}

let sequence = 0;

/** The groups of one run; `procsFiles` are what a starter writes its pid into before exec'ing the sandbox. */
export class RunCgroup {
  private readonly dirs = new Map<Controller, { dir: string; version: 1 | 2 }>();

  private constructor() {}

  /** Creates one group per available controller and applies the limits; controllers that fail are skipped. */
  static create(support: CgroupSupport, limits: { maxProcesses: number; memoryMb: number; cpus?: number }): RunCgroup {
    const g = new RunCgroup();
    const name = `mlerl-sandbox-${process.pid}-${++sequence}`;
    const byDir = new Map<string, string>();
    for (const c of CONTROLLERS) {
      const h = support[c];
      if (!h || (c === "cpu" && limits.cpus === undefined)) continue;
      const quotaUs = Math.max(1000, Math.round((limits.cpus ?? 1) * CPU_PERIOD_US));
      const dir = join(h.parent, name);
      try {
        if (!byDir.has(dir)) {
          mkdirSync(dir);
          byDir.set(dir, c);
        }
        if (h.version === 2) {
          // v2: one group for every controller; the limits live in files of the same directory.
          if (c === "pids") writeFileSync(join(dir, "pids.max"), String(limits.maxProcesses));
          if (c === "cpu") writeFileSync(join(dir, "cpu.max"), `${quotaUs} ${CPU_PERIOD_US}`);
          if (c === "memory") {
            writeFileSync(join(dir, "memory.max"), String(limits.memoryMb * 1024 * 1024));
            try {
              writeFileSync(join(dir, "memory.swap.max"), "0");
            } catch {
              /* no swap accounting: fine */
            }
          }
        } else {
          if (c === "pids") writeFileSync(join(dir, "pids.max"), String(limits.maxProcesses));
          if (c === "cpu") {
            writeFileSync(join(dir, "cpu.cfs_period_us"), String(CPU_PERIOD_US));
            writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quotaUs));
          }
          if (c === "memory") {
            const bytes = String(limits.memoryMb * 1024 * 1024);
            writeFileSync(join(dir, "memory.limit_in_bytes"), bytes);
            // Without this the program could use swap beyond its limit.
            if (existsSync(join(dir, "memory.memsw.limit_in_bytes"))) writeFileSync(join(dir, "memory.memsw.limit_in_bytes"), bytes);
          }
        }
        g.dirs.set(c, { dir, version: h.version });
      } catch {
        /* this controller is unusable for this run; limits fall back to rlimits */
      }
    }
    return g;
  }

  has(c: Controller): boolean {
    return this.dirs.has(c);
  }

  /** Distinct cgroup.procs files to join before the sandbox starts. */
  procsFiles(): string[] {
    return [...new Set([...this.dirs.values()].map((d) => join(d.dir, "cgroup.procs")))];
  }

  private pids(): number[] {
    const out = new Set<number>();
    for (const f of this.procsFiles()) {
      try {
        for (const l of readFileSync(f, "utf8").split("\n")) if (l) out.add(Number(l));
      } catch {
        /* group already gone */
      }
    }
    return [...out];
  }

  /** SIGKILL every process still in the groups (a few rounds, since a fork bomb forks while we kill). */
  killAll(): void {
    for (let round = 0; round < 20; round++) {
      const pids = this.pids();
      if (pids.length === 0) return;
      for (const p of pids) {
        try {
          process.kill(p, "SIGKILL");
        } catch {
          /* already dead */
        }
      }
    }
  }

  /** The CPU quota in cores, as the kernel holds it (null without a cpu group). */
  cpuQuotaCores(): number | null {
    const d = this.dirs.get("cpu");
    if (!d) return null;
    if (d.version === 1) {
      const quota = readNumber(join(d.dir, "cpu.cfs_quota_us"));
      const period = readNumber(join(d.dir, "cpu.cfs_period_us"));
      return quota !== null && period && quota > 0 ? quota / period : null;
    }
    try {
      const [quota, period] = readFileSync(join(d.dir, "cpu.max"), "utf8").trim().split(/\s+/).map(Number);
      return quota && period ? quota / period : null;
    } catch {
      return null;
    }
  }

  /** CPU seconds of everything that ran in the group. */
  cpuSec(): number | null {
    const d = this.dirs.get("cpuacct");
    if (!d) return null;
    if (d.version === 1) {
      const ns = readNumber(join(d.dir, "cpuacct.usage"));
      return ns === null ? null : ns / 1e9;
    }
    const us = readKeyed(join(d.dir, "cpu.stat")).get("usage_usec");
    return us === undefined ? null : us / 1e6;
  }

  /** Peak memory of the group in MiB (includes page cache the program caused). */
  peakMemoryMb(): number | null {
    const d = this.dirs.get("memory");
    if (!d) return null;
    const bytes = readNumber(join(d.dir, d.version === 1 ? "memory.max_usage_in_bytes" : "memory.peak"));
    return bytes === null ? null : bytes / (1024 * 1024);
  }

  /** Did the kernel's OOM killer kill something in the group because of our limit? */
  oomKilled(): boolean {
    const d = this.dirs.get("memory");
    if (!d) return false;
    const m = readKeyed(join(d.dir, d.version === 1 ? "memory.oom_control" : "memory.events"));
    return (m.get("oom_kill") ?? 0) > 0;
  }

  /** Did a fork fail because of pids.max? */
  pidsLimitHit(): boolean {
    const d = this.dirs.get("pids");
    if (!d) return false;
    const m = readKeyed(join(d.dir, "pids.events"));
    return (m.get("max") ?? 0) > 0;
  }

  /** Removes the groups; retries briefly while the kernel finishes tearing processes down. */
  async destroy(): Promise<void> {
    const dirs = [...new Set([...this.dirs.values()].map((d) => d.dir))];
    for (const dir of dirs) {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") break;
          // EBUSY for a moment while the kernel finishes reaping the killed tree.
          this.killAll();
          await new Promise((r) => setTimeout(r, attempt < 10 ? 1 : 20));
        }
      }
    }
  }
}

/** Removes empty groups left behind by mlerl processes that died without cleaning up. */
export function removeStaleRunCgroups(support: CgroupSupport): void {
  const parents = new Set(CONTROLLERS.map((c) => support[c]?.parent).filter((p): p is string => !!p));
  for (const parent of parents) {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = /^mlerl-sandbox-(\d+)-\d+$/.exec(n);
      if (!m || isAlive(Number(m[1]))) continue;
      try {
        rmdirSync(join(parent, n));
      } catch {
        /* still has processes: leave it */
      }
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
