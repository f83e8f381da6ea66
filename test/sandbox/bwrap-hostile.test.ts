import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { BwrapExecutor } from "../../src/sandbox/bwrap-executor.js";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { assertHostFine, makeTask, removeTestDirs, runProgram, sandboxUnavailable, type FakeTask } from "./helpers.js";

// Hostile programs, each run in the real sandbox with the real agent Python. Every test checks that the
// attack failed, that the result says what happened, and that the host is unharmed afterwards.

let ex: BwrapExecutor;
let task: FakeTask;
let server: Server;
let port = 0;
let hits = 0;

before(async () => {
  if (sandboxUnavailable) return;
  ex = new BwrapExecutor();
  task = makeTask();
  server = createServer((_req, res) => {
    hits++;
    res.end(task.secret);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server?.close();
  removeTestDirs();
});

test("the private answers cannot be read by any path", { skip: sandboxUnavailable }, async () => {
  const candidates = [
    task.answersFile,
    `/proc/1/root${task.answersFile}`,
    `/proc/self/root${task.answersFile}`,
    "/home/data/../private/answers.csv",
    "/home/data/../../prepared/private/answers.csv",
    "../../../" + task.answersFile,
  ];
  const code = `
import os, json
found = []
tried = ${JSON.stringify(candidates)}
os.symlink(${JSON.stringify(task.answersFile)}, "/home/work/link")
os.symlink("/proc/1/root", "/home/work/rootlink")
tried += ["/home/work/link", "/home/work/rootlink" + ${JSON.stringify(task.answersFile)}]
for p in tried:
    try:
        with open(p) as f:
            found.append([p, f.read()])
    except OSError as e:
        print("denied", p, type(e).__name__)
# Search every readable file outside /usr and /proc for the secret (built here, so this file does not match).
# The read-only Python runtime is skipped: it can live under /tmp or /root (MLERL_HOME, a CI's HOME) and is
# thousands of files the program did not write.
needle = b"ANSWER-" + b"SECRET"
runtime = ${JSON.stringify([requireAgentPython().venv, requireAgentPython().basePrefix])}
for top in ["/home", "/tmp", "/etc", "/root", "/dev/shm"]:
    for d, dirs, files in os.walk(top):
        dirs[:] = [x for x in dirs if os.path.join(d, x) not in runtime]
        for n in files:
            try:
                with open(os.path.join(d, n), "rb") as f:
                    if needle in f.read(1 << 20):
                        found.append([os.path.join(d, n), "secret"])
            except OSError:
                pass
print("FOUND", json.dumps(found))
`;
  const { r } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.match(r.stdout.text, /FOUND \[\]/);
  assert.ok(!r.stdout.text.includes(task.secret));
  assert.equal((r.stdout.text.match(/^denied /gm) ?? []).length, candidates.length + 2);
  assertHostFine();
});

test("there is no network: a real HTTP server on the host's 127.0.0.1 is unreachable", { skip: sandboxUnavailable }, async () => {
  const before = hits;
  const code = `
import socket, urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=3).read())
except Exception as e:
    print("http failed:", type(e).__name__, e)
try:
    socket.create_connection(("127.0.0.1", ${port}), timeout=3)
    print("connected")
except OSError as e:
    print("socket failed:", e.errno)
try:
    socket.getaddrinfo("pypi.org", 443)
    print("resolved")
except OSError as e:
    print("dns failed")
`;
  const { r } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.match(r.stdout.text, /http failed/);
  assert.match(r.stdout.text, /socket failed/);
  assert.match(r.stdout.text, /dns failed/);
  assert.ok(!r.stdout.text.includes(task.secret));
  assert.equal(hits, before, "the server saw no request");
  // The server itself works: the host can reach it.
  const res = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await res.text(), task.secret);
  assertHostFine();
});

test("nothing outside /home/submission, /home/work and the tmpfs /tmp is writable", { skip: sandboxUnavailable }, async () => {
  const targets = [
    "/usr/evil",
    "/evil",
    "/etc/passwd",
    "/etc/evil",
    "/home/data/evil",
    "/home/data/train.csv",
    "/home/code/program.py",
    "/home/evil",
    task.root + "/evil",
    task.publicDir + "/evil",
    "/root/evil",
    "/proc/sys/kernel/hostname",
  ];
  const code = `
import os
for p in ${JSON.stringify(targets)}:
    try:
        with open(p, "a") as f:
            f.write("x")
        print("WROTE", p)
    except OSError as e:
        print("refused", p, e.errno)
for p in ["/home/work/ok", "/home/submission/ok", "/tmp/ok"]:
    with open(p, "w") as f:
        f.write("fine")
    print("allowed", p)
`;
  const { r, outDir } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.doesNotMatch(r.stdout.text, /WROTE/);
  assert.equal((r.stdout.text.match(/^refused /gm) ?? []).length, targets.length);
  assert.equal((r.stdout.text.match(/^allowed /gm) ?? []).length, 3);
  assert.deepEqual(readdirSync(task.publicDir).sort(), ["test.csv", "train.csv"]);
  assert.equal(readFileSync(join(task.publicDir, "train.csv"), "utf8"), "id,x,y\n1,0.5,0\n2,1.5,1\n");
  assert.ok(!existsSync(join(task.root, "evil")));
  assert.deepEqual(readdirSync(outDir).sort(), ["program.py", "result.json", "stderr.txt", "stdout.txt"]);
  assertHostFine();
});

test("a fork bomb is held to the process limit and the host keeps working", { skip: sandboxUnavailable }, async () => {
  const counting = `
import os, time
n = 0
try:
    while n < 10000:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print("fork refused after", n, "children:", e.strerror)
`;
  const { r } = await runProgram(ex, task, counting, { maxProcesses: 20, timeoutSec: 15 });
  const m = /fork refused after (\d+) children/.exec(r.stdout.text);
  assert.ok(m, r.stdout.text + r.stderr.text);
  assert.ok(Number(m[1]) < 20, `${m[1]} children`);
  assert.equal(r.exitCode, 0);
  assertHostFine();

  const bomb = `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`;
  const { r: r2 } = await runProgram(ex, task, bomb, { maxProcesses: 20, timeoutSec: 2 });
  assert.equal(r2.killed, "timeout");
  assert.equal(r2.timedOut, true);
  assert.match(r2.summary, /deadline/);
  assertHostFine();
});

test("a memory bomb is killed at the memory limit", { skip: sandboxUnavailable }, async () => {
  const code = `
chunks = []
while True:
    chunks.append(bytearray(20_000_000))
`;
  const { r } = await runProgram(ex, task, code, { memoryMb: 200 });
  assert.equal(r.killed, "memory", r.summary);
  assert.equal(r.signal, "SIGKILL");
  assert.match(r.summary, /200 MiB memory limit/);
  assertHostFine();
});

test("an infinite loop is killed at the deadline, with the whole tree", { skip: sandboxUnavailable }, async () => {
  const code = `
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "while True: pass"])
print("started", flush=True)
while True:
    pass
`;
  const { r } = await runProgram(ex, task, code, { timeoutSec: 1.5 });
  assert.equal(r.timedOut, true);
  assert.equal(r.killed, "timeout");
  assert.ok(r.wallSec >= 1.5, `the program was not stopped before its deadline (${r.wallSec} s)`);
  assert.match(r.stdout.text, /started/);
  assert.ok(r.cpuSec !== null && r.cpuSec > 0);
  assertHostFine();
});

test(
  "a daemonised child dies with the program, and the working dir cannot outgrow the memory limit",
  { skip: sandboxUnavailable },
  async () => {
    const daemon = `
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    os._exit(0)
print("daemon started", flush=True)
`;
    const { r } = await runProgram(ex, task, daemon, { timeoutSec: 30 });
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.equal(r.killed, null);
    assertHostFine();

    const filler = `
written = 0
try:
    with open("/home/work/big.bin", "wb") as f:
        while written < 400:
            f.write(b"x" * (1 << 20))
            written += 1
except OSError as e:
    print("stopped at", written, "MiB:", e.strerror, flush=True)
print("done", written, flush=True)
`;
    const { r: r2 } = await runProgram(ex, task, filler, { memoryMb: 150, maxFileSizeMb: 1000 });
    const m = /done (\d+)/.exec(r2.stdout.text);
    assert.ok(!m || Number(m[1]) < 150, r2.stdout.text);
    assert.ok(r2.killed === "memory" || /stopped at/.test(r2.stdout.text), r2.summary + r2.stdout.text);
    assertHostFine();
  },
);

test("a flood of output is truncated to head and tail, then killed", { skip: sandboxUnavailable }, async () => {
  const bounded = `
print("START")
for i in range(20000):
    print("line", i)
print("END")
`;
  const { r, outDir } = await runProgram(ex, task, bounded, { maxOutputBytes: 4000 });
  assert.equal(r.exitCode, 0);
  assert.equal(r.killed, null);
  assert.equal(r.stdout.truncated, true);
  assert.ok(r.stdout.text.startsWith("START\nline 0\n"));
  assert.ok(r.stdout.text.endsWith("line 19999\nEND\n"));
  assert.match(r.stdout.text, /bytes of output dropped/);
  assert.ok(r.stdout.text.length < 4200);
  assert.equal(readFileSync(join(outDir, "stdout.txt"), "utf8"), r.stdout.text);

  const flood = `
import sys
line = "x" * 65536 + "\\n"
while True:
    sys.stdout.write(line)
    sys.stderr.write(line)
`;
  const { r: r2 } = await runProgram(ex, task, flood, { maxOutputBytes: 4000, timeoutSec: 30 });
  assert.equal(r2.killed, "output", r2.summary);
  assert.equal(r2.timedOut, false);
  assert.ok(r2.stdout.text.length < 4200 && r2.stderr.text.length < 4200);
  assertHostFine();
});

test("killing its parent or signalling host processes harms nothing outside the sandbox", { skip: sandboxUnavailable }, async () => {
  const code = `
import os, signal, time
print("pids", os.getpid(), os.getppid(), flush=True)
for pid in [1, ${process.pid}, ${process.ppid}]:
    try:
        os.kill(pid, signal.SIGKILL)
        print("signalled", pid, flush=True)
    except OSError as e:
        print("cannot signal", pid, e.errno, flush=True)
try:
    os.kill(os.getppid(), signal.SIGKILL)
    print("killed parent", flush=True)
except OSError as e:
    print("cannot kill parent", e.errno, flush=True)
time.sleep(0.5)
print("survived", flush=True)
`;
  const { r } = await runProgram(ex, task, code);
  assert.match(r.stdout.text, /cannot signal 1 /);
  assert.doesNotMatch(r.stdout.text, /signalled/);
  assert.equal(r.killed, null, "the sandbox ended by itself, not at the deadline");
  if (/killed parent/.test(r.stdout.text)) {
    // With the in-sandbox launcher as parent: its death tears the whole sandbox down, and the result says so.
    assert.doesNotMatch(r.stdout.text, /survived/);
    assert.equal(r.signal, "SIGKILL");
    assert.ok(
      (r.notes ?? []).some((n) => /launcher/.test(n)),
      JSON.stringify(r.notes),
    );
  } else {
    // With bwrap's root-owned init as parent: the kill is refused and the program finishes normally.
    assert.match(r.stdout.text, /cannot kill parent 1\b/);
    assert.match(r.stdout.text, /survived/);
    assert.equal(r.exitCode, 0);
  }
  // This test process and its parent are alive.
  process.kill(process.pid, 0);
  process.kill(process.ppid, 0);
  assertHostFine();
});

test("a submission.csv that is a symlink to a host file is refused, not followed", { skip: sandboxUnavailable }, async () => {
  const code = `
import os
os.symlink(${JSON.stringify(task.answersFile)}, "/home/submission/submission.csv")
print("planted")
`;
  const { r, outDir } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.equal(r.submissionPath, null);
  assert.match(r.summary, /symbolic link/);
  assert.ok(!existsSync(join(outDir, "submission.csv")));
  assertHostFine();

  // A FIFO must not hang the copy either.
  const { r: r2 } = await runProgram(ex, task, `import os\nos.mkfifo("/home/submission/submission.csv")\n`);
  assert.equal(r2.submissionPath, null);
  assert.match(r2.summary, /not a regular file/);
  assertHostFine();
});
