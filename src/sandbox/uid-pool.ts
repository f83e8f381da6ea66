import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "./cgroup.js";

/**
 * When mlerl runs as root, each sandbox runs its program as its own unprivileged uid from this pool, so that
 * RLIMIT_NPROC (which counts processes per real uid, and which root ignores) bounds exactly that sandbox, and
 * so that one sandbox's processes own nothing another could touch. A slot is claimed with an exclusive lock
 * file holding the owner's pid; slots of dead owners are reclaimed.
 *
 * The range sits far above the uids distributions hand out (regular users, systemd's dynamic users, the usual
 * /etc/subuid ranges) so no real account is reused.
 */
export const SANDBOX_UID_BASE = 2_100_000_000;
const SLOTS = 4096;

const held = new Set<number>();
const everLeased = new Set<number>();

/** Uids this process has leased so far (for checks that nothing of a finished sandbox survives). */
export function leasedUids(): number[] {
  return [...everLeased];
}

/** Is the uid leased right now, by any process? */
export function uidInUse(uid: number): boolean {
  return existsSync(join(lockDir(), String(uid)));
}

function lockDir(): string {
  // One place for every mlerl process on the machine (TMPDIR may differ between them): /run when root.
  const base = process.getuid?.() === 0 && existsSync("/run") ? "/run" : tmpdir();
  const dir = join(base, "mlerl-sandbox-uids");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function tryClaim(file: string): boolean {
  try {
    const fd = openSync(file, "wx", 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return false;
  }
}

export interface UidLease {
  uid: number;
  release(): void;
}

// Slots are handed out round-robin, so a uid is not reused at once: processes of the last sandbox that was
// killed may linger a moment as zombies, and they would count against the next one's RLIMIT_NPROC.
let nextSlot = (process.pid * 7) % SLOTS;

/** `dir` holds the lock files; every mlerl process on the machine must use the same one (the default). */
export function acquireSandboxUid(dir: string = lockDir()): UidLease {
  for (let i = 0; i < SLOTS; i++) {
    const slot = (nextSlot + i) % SLOTS;
    const uid = SANDBOX_UID_BASE + slot;
    if (held.has(uid)) continue;
    const file = join(dir, String(uid));
    let claimed = tryClaim(file);
    if (!claimed) {
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, "utf8"));
      } catch {
        /* vanished: retry below */
      }
      if (owner !== process.pid && (!Number.isInteger(owner) || !isAlive(owner))) {
        try {
          unlinkSync(file);
        } catch {
          /* someone else reclaimed it first */
        }
        claimed = tryClaim(file);
      }
    }
    if (!claimed) continue;
    held.add(uid);
    everLeased.add(uid);
    nextSlot = (slot + 1) % SLOTS;
    let released = false;
    return {
      uid,
      release() {
        if (released) return;
        released = true;
        held.delete(uid);
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      },
    };
  }
  throw new Error(`all ${SLOTS} sandbox uids are in use (lock files in ${dir})`);
}
