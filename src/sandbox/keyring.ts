import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * Kernel keyrings are not namespaced: a uid's user keyring outlives every process of that uid, so keys a
 * program left there would be read by the next run that leases the same uid. The seccomp filter refuses the
 * keyring calls inside the sandbox; this is the second line: when a lease ends and the kernel still accounts
 * keys to its uid, both of the uid's keyrings (@u, @us) are emptied by a process running as that uid.
 */

/** Uids the kernel accounts keys to, with their key counts (/proc/key-users: "uid: usage nkeys/nikeys ..."). */
export function keyUsers(text?: string): Map<number, number> {
  const out = new Map<number, number>();
  let body = text;
  if (body === undefined) {
    try {
      body = readFileSync("/proc/key-users", "utf8");
    } catch {
      return out;
    }
  }
  for (const line of body.split("\n")) {
    const m = /^\s*(\d+):\s+\d+\s+(\d+)\//.exec(line);
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/** Empties the user and user-session keyrings of `uid` if it holds any key. Returns whether it had to. */
export function clearUidKeyrings(uid: number, tools: { setpriv: string; keyctl: string | null }): boolean {
  if (!tools.keyctl || (keyUsers().get(uid) ?? 0) === 0) return false;
  for (const ring of ["@u", "@us"]) {
    spawnSync(tools.setpriv, [`--reuid=${uid}`, `--regid=${uid}`, "--clear-groups", "--", tools.keyctl, "clear", ring], {
      stdio: "ignore",
      timeout: 10_000,
    });
  }
  return true;
}
