import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, chmodSync } from "node:fs";
import { join } from "node:path";
import type { ExecResult } from "../../src/sandbox/executor.js";
import { repoRoot } from "../../src/paths.js";
import { probeIsolation } from "../../src/sandbox/probe.js";
import { removeTestDirs, testDir } from "./helpers.js";

after(removeTestDirs);

// As root the hostile tests exercise the root mode; this file runs the user-namespace mode (the one laptops
// use) for real, as the unprivileged user `nobody`, with the system Python (the agent venv under /root is not
// readable by that user). As a normal user, the other files already run in this mode.

const SYSTEM_PYTHON = "/usr/bin/python3";
const canRun =
  process.getuid?.() === 0 &&
  existsSync(SYSTEM_PYTHON) &&
  existsSync("/usr/bin/setpriv") &&
  probeIsolation().bwrap.path !== null &&
  probeIsolation().userns.allowed;

function runAsNobody(code: string, limits: Record<string, number>): { describe: string; result: ExecResult } {
  const home = testDir("mlerl-nobody-home-");
  chmodSync(home, 0o777);
  const root = repoRoot();
  const r = spawnSync(
    "/usr/bin/setpriv",
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      "--import",
      `file://${root}/node_modules/tsx/dist/esm/index.mjs`,
      join(root, "test/sandbox/fixtures/run-as-user.ts"),
      SYSTEM_PYTHON,
      code,
      JSON.stringify(limits),
    ],
    { encoding: "utf8", env: { PATH: "/usr/bin:/bin", HOME: home, TMPDIR: home }, timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { describe: string; result: ExecResult };
}

test(
  "as an unprivileged user: user-namespace sandbox with the container layout, no network, and a contained fork bomb",
  { skip: canRun ? false : "needs root (to become nobody), /usr/bin/python3, bubblewrap and user namespaces" },
  () => {
    const layout = runAsNobody(
      `
import os, socket
print(sorted(os.listdir("/home/data")), os.getcwd())
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    print("connected")
except OSError:
    print("no network")
try:
    open("/usr/evil", "w")
except OSError:
    print("read-only")
open("/home/submission/submission.csv", "w").write("id,y\\n1,0\\n")
`,
      { timeoutSec: 20 },
    );
    assert.match(layout.describe, /user namespace/);
    assert.equal(layout.result.exitCode, 0, layout.result.stderr.text);
    assert.equal(layout.result.stdout.text, "['train.csv'] /home/work\nno network\nread-only\n");
    assert.ok(layout.result.submissionPath);
    assert.ok(layout.result.cpuSec !== null && layout.result.peakMemoryMb !== null, "measured by the launcher");

    const bomb = runAsNobody(
      `
import os, time
n = 0
try:
    while n < 5000:
        if os.fork() == 0:
            time.sleep(20)
            os._exit(0)
        n += 1
except OSError:
    pass
print("children", n)
`,
      { timeoutSec: 20, maxProcesses: 20 },
    );
    const n = Number(/children (\d+)/.exec(bomb.result.stdout.text)?.[1]);
    // RLIMIT_NPROC counts all of the user's tasks, so the allowance is relative to what the user already runs.
    assert.ok(n > 0 && n < 200, `fork bomb reached ${n} children`);
    assert.equal(bomb.result.exitCode, 0);
    // Exited processes may linger a moment as zombies until init reaps them; none may still be running.
    const still = spawnSync("/bin/sh", ["-c", "ps -u 65534 -o stat=,args= | grep -v '^Z' || true"], { encoding: "utf8" });
    assert.equal(still.stdout.trim(), "", "no process of the sandbox user survives");
  },
);
