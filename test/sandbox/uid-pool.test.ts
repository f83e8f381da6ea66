import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireSandboxUid, SANDBOX_UID_BASE } from "../../src/sandbox/uid-pool.js";
import { removeTestDirs, testDir } from "./helpers.js";

after(removeTestDirs);

function deadPid(): number {
  const r = spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

test("sandbox uids are exclusive while held, reclaimed from dead owners, kept from live ones", () => {
  const dir = testDir("mlerl-uids-");
  const a = acquireSandboxUid(dir);
  const b = acquireSandboxUid(dir);
  assert.notEqual(a.uid, b.uid);
  assert.ok(a.uid >= SANDBOX_UID_BASE && b.uid >= SANDBOX_UID_BASE);
  assert.equal(readFileSync(join(dir, String(a.uid)), "utf8"), String(process.pid));
  a.release();
  assert.ok(!existsSync(join(dir, String(a.uid))));
  b.release();

  // Occupy the next slots: one by a live process (our parent), one by a process that has exited.
  let c = acquireSandboxUid(dir);
  c.release();
  while (c.uid - SANDBOX_UID_BASE > 4000) {
    // Slots are handed out round-robin; stay clear of the wrap-around for this check.
    c = acquireSandboxUid(dir);
    c.release();
  }
  const liveSlot = c.uid + 1;
  const deadSlot = c.uid + 2;
  writeFileSync(join(dir, String(liveSlot)), String(process.ppid));
  writeFileSync(join(dir, String(deadSlot)), String(deadPid()));
  const d = acquireSandboxUid(dir);
  assert.equal(d.uid, deadSlot, "the live owner's uid is skipped, the dead owner's reclaimed");
  assert.equal(readFileSync(join(dir, String(deadSlot)), "utf8"), String(process.pid));
  assert.equal(readFileSync(join(dir, String(liveSlot)), "utf8"), String(process.ppid));
  d.release();
});
