import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BwrapExecutor } from "../../src/sandbox/bwrap-executor.js";
import { THREAD_VARIABLES } from "../../src/sandbox/env.js";
import { UserError } from "../../src/errors.js";
import { assertHostFine, makeTask, removeTestDirs, runProgram, sandboxUnavailable, type FakeTask } from "./helpers.js";

let ex: BwrapExecutor;
let task: FakeTask;

before(() => {
  if (sandboxUnavailable) return;
  ex = new BwrapExecutor();
  task = makeTask();
});

after(removeTestDirs);

test("a normal program sees the container layout, writes a submission, and is measured", { skip: sandboxUnavailable }, async () => {
  const code = `
import os, sys, time, json
import numpy as np, pandas as pd
train = pd.read_csv("/home/data/train.csv")
test = pd.read_csv("/home/data/test.csv")
print(json.dumps({"cwd": os.getcwd(), "home": os.environ["HOME"], "data": sorted(os.listdir("/home/data")),
                  "rows": len(train), "uid": os.getuid()}))
print("a warning", file=sys.stderr)
t = time.time()
while time.time() - t < 0.3:
    pass
pd.DataFrame({"id": test["id"], "y": [0.25]}).to_csv("/home/submission/submission.csv", index=False)
`;
  const { r, outDir } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.equal(r.signal, null);
  assert.equal(r.killed, null);
  const info = JSON.parse(r.stdout.text.trim()) as { cwd: string; home: string; data: string[]; rows: number; uid: number };
  assert.equal(info.cwd, "/home/work");
  assert.equal(info.home, "/home/work");
  assert.deepEqual(info.data, ["test.csv", "train.csv"]);
  assert.equal(info.rows, 2);
  assert.notEqual(info.uid, 0, "the program never runs as root");
  assert.equal(r.stderr.text, "a warning\n");
  assert.equal(r.submissionPath, join(outDir, "submission.csv"));
  assert.equal(readFileSync(r.submissionPath!, "utf8"), "id,y\n3,0.25\n");
  assert.ok(r.wallSec >= 0.3, `Δt ${r.wallSec}`);
  assert.ok(r.cpuSec !== null && r.cpuSec >= 0.25, `cpu ${r.cpuSec}`);
  assert.ok(r.peakMemoryMb !== null && r.peakMemoryMb > 10, `peak ${r.peakMemoryMb}`);
  assert.match(r.summary, /^exited 0 in .*wrote submission\.csv$/);
  assert.equal(readFileSync(join(outDir, "program.py"), "utf8"), code);
  assert.equal(readFileSync(join(outDir, "stderr.txt"), "utf8"), "a warning\n");
  const saved = JSON.parse(readFileSync(join(outDir, "result.json"), "utf8")) as Record<string, unknown>;
  assert.equal(saved.exitCode, 0);
  assert.equal(saved.summary, r.summary);
  assertHostFine();
});

test("exit codes, signals and tracebacks are reported as they happened", { skip: sandboxUnavailable }, async () => {
  const { r: exit3 } = await runProgram(ex, task, "import sys\nprint('bye')\nsys.exit(3)\n");
  assert.equal(exit3.exitCode, 3);
  assert.equal(exit3.stdout.text, "bye\n");
  assert.match(exit3.summary, /exited 3/);
  assert.equal(exit3.submissionPath, null);
  assert.match(exit3.summary, /no submission\.csv/);

  const { r: crash } = await runProgram(ex, task, "def f():\n    raise ValueError('bad column')\nf()\n");
  assert.equal(crash.exitCode, 1);
  assert.match(crash.stderr.text, /Traceback[\s\S]*ValueError: bad column/);
  assert.match(crash.stderr.text, /File "\/home\/code\/program\.py", line 2/);

  const { r: term } = await runProgram(ex, task, "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n");
  assert.equal(term.exitCode, null);
  assert.equal(term.signal, "SIGTERM");
  assert.match(term.summary, /died of SIGTERM/);
  assertHostFine();
});

test(
  "the thread variables and given env are set, nothing of the host environment leaks in, stderr is captured apart",
  { skip: sandboxUnavailable },
  async () => {
    const code = `
import os, sys
for i in range(3):
    print("out", i)
    print("err", i, file=sys.stderr)
print({k: os.environ.get(k) for k in ${JSON.stringify(THREAD_VARIABLES)}})
print("secret" in os.environ, sorted(k for k in os.environ if k.startswith("MLERL")), os.environ["EXTRA"])
import socket
print("localhost", socket.gethostbyname("localhost"), socket.gethostname(), os.environ["LOKY_MAX_CPU_COUNT"])
`;
    process.env.MLERL_TEST_HOST_SECRET = "host-only";
    const { r } = await runProgram(ex, task, code, { threads: 3 }, { env: { EXTRA: "given" } });
    delete process.env.MLERL_TEST_HOST_SECRET;
    assert.equal(r.exitCode, 0, r.stderr.text);
    for (const v of THREAD_VARIABLES) assert.match(r.stdout.text, new RegExp(`'${v}': '3'`));
    assert.match(r.stdout.text, /False \[\] given/, "nothing of the host environment leaks in");
    assert.match(r.stdout.text, /localhost 127\.0\.0\.1 sandbox 3/);
    assert.equal(r.stderr.text, "err 0\nerr 1\nerr 2\n");
  },
);

test("the CPU-time and file-size limits apply", { skip: sandboxUnavailable }, async () => {
  const { r: cpu } = await runProgram(ex, task, "while True:\n    pass\n", { cpuSec: 1, timeoutSec: 20 });
  assert.equal(cpu.killed, null);
  assert.equal(cpu.signal, "SIGXCPU");
  assert.match(cpu.summary, /CPU-time limit/);

  const { r: big } = await runProgram(
    ex,
    task,
    `
try:
    with open("/home/work/big.bin", "wb") as f:
        f.write(b"x" * (3 * 1024 * 1024))
    print("wrote")
except OSError as e:
    print("refused:", e.strerror)
`,
    { maxFileSizeMb: 1 },
  );
  assert.equal(big.exitCode, 0, big.stderr.text);
  assert.match(big.stdout.text, /refused: File too large/);
  assertHostFine();
});

test("concurrent sandboxes run as different uids; aborting stops one", { skip: sandboxUnavailable }, async () => {
  const code = "import os, time\nprint(os.getuid(), flush=True)\ntime.sleep(1)\n";
  const ac = new AbortController();
  const slow = runProgram(ex, task, "import time\nprint('waiting', flush=True)\ntime.sleep(60)\n", {}, { signal: ac.signal });
  const [a, b] = await Promise.all([runProgram(ex, task, code), runProgram(ex, task, code)]);
  ac.abort();
  const { r: aborted } = await slow;
  assert.notEqual(a.r.stdout.text, b.r.stdout.text);
  assert.equal(aborted.killed, "aborted");
  assert.match(aborted.summary, /aborted/);
  assertHostFine();
});

test(
  "the launcher path (machines without writable cgroups) reports exit status and wait4 usage, and survives a parent kill",
  { skip: sandboxUnavailable },
  async () => {
    const viaLauncher = new BwrapExecutor({ measure: "launcher" });
    const busy =
      "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nb = bytearray(50_000_000)\nimport sys\nsys.exit(4)\n";
    const { r } = await runProgram(viaLauncher, task, busy);
    assert.equal(r.exitCode, 4, r.stderr.text);
    assert.ok(r.cpuSec !== null && r.cpuSec >= 0.3, `cpu ${r.cpuSec}`);
    assert.ok(r.peakMemoryMb !== null && r.peakMemoryMb >= 50, `peak ${r.peakMemoryMb}`);

    const { r: killer } = await runProgram(
      viaLauncher,
      task,
      "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(5)\nprint('survived')\n",
    );
    assert.equal(killer.killed, null);
    assert.equal(killer.signal, "SIGKILL");
    assert.doesNotMatch(killer.stdout.text, /survived/);
    assert.ok((killer.notes ?? []).some((n) => /launcher/.test(n)));
    assertHostFine();
  },
);

test("a missing public dir is a user error naming the directory", { skip: sandboxUnavailable }, async () => {
  await assert.rejects(
    ex.run({ code: "pass\n", publicDir: join(task.root, "nope"), outDir: join(task.root, "out-nope") }),
    (e: unknown) => e instanceof UserError && e.message.includes(join(task.root, "nope")) && /tasks prepare/.test(e.hint ?? ""),
  );
});

test("without bubblewrap the executor refuses with the fix", () => {
  assert.throws(
    () => new BwrapExecutor({ env: { ...process.env, MLERL_BWRAP: "/nonexistent/bwrap" } }),
    (e: unknown) =>
      e instanceof UserError &&
      /bubblewrap/.test(e.message) &&
      /apt-get install bubblewrap/.test(e.hint ?? "") &&
      /--no-isolation/.test(e.hint ?? ""),
  );
});
