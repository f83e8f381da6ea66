import { readFileSync } from "node:fs";

/**
 * The fallback CPU bound where no cpu cgroup can hold a quota: pin the run to whole CPUs with util-linux
 * taskset, rotating through the CPUs this process may use so concurrent runs spread out. Weaker than a quota:
 * the program may widen its own affinity again (sched_setaffinity is not refused, OpenMP runtimes use it).
 */

/** CPUs this process may run on ("Cpus_allowed_list: 0-3,6"). */
export function allowedCpus(status?: string): number[] {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/status", "utf8");
    } catch {
      return [];
    }
  }
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(text);
  if (!m?.[1]) return [];
  const out: number[] = [];
  for (const part of m[1].split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || !Number.isInteger(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

let rotation = 0;

/** ceil(cores) CPUs for the next run (all of them if it asks for more). */
export function pickCpus(cores: number, cpus: number[] = allowedCpus()): number[] {
  if (cpus.length === 0) return [];
  const n = Math.min(cpus.length, Math.ceil(cores));
  const start = rotation++ % cpus.length;
  return Array.from({ length: n }, (_, i) => cpus[(start + i) % cpus.length] as number);
}

/** `argv` started with its affinity set to `cpus`. */
export function withAffinity(taskset: string, cpus: number[], argv: string[]): string[] {
  return [taskset, "--cpu-list", cpus.join(","), ...argv];
}
