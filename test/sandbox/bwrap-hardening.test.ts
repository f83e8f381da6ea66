import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import type { ExecResult } from "../../src/sandbox/executor.js";
import { join } from "node:path";
import { BwrapExecutor } from "../../src/sandbox/bwrap-executor.js";
import { keyUsers, clearUidKeyrings } from "../../src/sandbox/keyring.js";
import { probeIsolation } from "../../src/sandbox/probe.js";
import { runDirsRemoved } from "../../src/sandbox/run-files.js";
import { SYSCALL_POLICY } from "../../src/sandbox/seccomp-policy.js";
import { acquireSandboxUid, leasedUids } from "../../src/sandbox/uid-pool.js";
import { repoRoot } from "../../src/paths.js";
import { assertHostFine, makeTask, removeTestDirs, runProgram, sandboxUnavailable, testDir, type FakeTask } from "./helpers.js";

// Hostile programs against the classes of issue "what hostile programs still get through": inherited
// descriptors, keyrings, the host disk behind /home/submission, the report channel, nested user namespaces,
// the capability bounding set, host paths in /proc, and how many cores a program takes. Real bwrap, real
// Python; every attack must fail and leave the host as it was.

let ex: BwrapExecutor;
let task: FakeTask;
const probe = probeIsolation();
const rootOnly = sandboxUnavailable || (probe.mode !== "root" && "root mode only (runs as root)");
const keyctl = probe.keyctl;
const tsx = `file://${repoRoot()}/node_modules/tsx/dist/esm/index.mjs`;

before(() => {
  if (sandboxUnavailable) return;
  ex = new BwrapExecutor();
  task = makeTask();
});

after(removeTestDirs);

/**
 * Runs test/sandbox/fixtures/run-one.ts from bash, with `prelude` run first in that shell (descriptors, keys) and
 * `after` run after it; optionally in a session keyring of its own. Returns the ExecResult and the shell's stdout.
 */
function runFromShell(o: { prelude: string; code: string; after?: string; ownSession?: boolean }): { result: ExecResult; tail: string } {
  const root = testDir("mlerl-shell-run-");
  const resultFile = join(root, "result.json");
  const script = `${o.prelude}\n"$NODE" --import "$TSX" "$FIXTURE" "$CODE" "$PUBLIC" "$ROOT" > "$RESULT" || exit 3\n${o.after ?? ""}`;
  const argv = o.ownSession ? [keyctl!, "session", "-", "/bin/bash", "-c", script] : ["/bin/bash", "-c", script];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: "utf8",
    env: {
      PATH: "/usr/bin:/bin",
      NODE: process.execPath,
      TSX: tsx,
      FIXTURE: join(repoRoot(), "test/sandbox/fixtures/run-one.ts"),
      CODE: o.code,
      PUBLIC: task.publicDir,
      ROOT: root,
      RESULT: resultFile,
      ANSWERS: task.answersFile,
      LOG: join(root, "host.log"),
      KEYCTL: keyctl ?? "",
    },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { result: JSON.parse(readFileSync(resultFile, "utf8")) as ExecResult, tail: r.stdout };
}

const nr = (name: string): number => {
  const p = SYSCALL_POLICY.find((x) => x.name === name);
  const n = process.arch === "arm64" ? p?.aarch64 : p?.x86_64;
  if (n === undefined || n === null) throw new Error(`no number for ${name}`);
  return n;
};

test(
  "descriptors mlerl inherited (an answers file on fd 50, a host log on fd 60) never reach the program",
  { skip: sandboxUnavailable },
  () => {
    const code = `
import os
open_fds = []
for fd in range(0, 1024):
    try:
        os.fstat(fd)
        open_fds.append(fd)
    except OSError:
        pass
print("OPEN", open_fds)
for fd in (50, 60):
    try:
        print("READ", fd, os.pread(fd, 4096, 0))
    except OSError as e:
        print("noread", fd, e.errno)
    try:
        os.write(fd, b"planted by the sandbox\\n")
        print("WROTE", fd)
    except OSError as e:
        print("nowrite", fd, e.errno)
`;
    const { result, tail } = runFromShell({
      prelude: 'echo "host log" > "$LOG"; exec 50<"$ANSWERS" 60>>"$LOG"',
      code,
      after: 'cat "$LOG"',
    });
    assert.equal(result.exitCode, 0, result.stderr.text);
    assert.match(result.stdout.text, /^OPEN \[0, 1, 2\]$/m, "only stdin, stdout and stderr are open");
    assert.doesNotMatch(result.stdout.text, /READ|WROTE/);
    assert.ok(!result.stdout.text.includes(task.secret));
    assert.equal(tail, "host log\n", "the host log is untouched");
    assertHostFine();
  },
);

test(
  "keyrings: the caller's session keyring is out of reach and no key can be planted in it or in the uid's keyrings",
  { skip: sandboxUnavailable || (!keyctl && "keyutils is not installed (scripts/setup.sh installs it)") },
  () => {
    const code = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def call(n, *args):
    r = libc.syscall(n, *args)
    return r, ctypes.get_errno() if r < 0 else 0
print("session", *call(${nr("keyctl")}, 0, -3, 0))      # KEYCTL_GET_KEYRING_ID of the session keyring
print("search", *call(${nr("request_key")}, b"user", b"mlerl-host-secret", None, 0))
print("plant-session", *call(${nr("add_key")}, b"user", b"planted-by-sandbox", b"x", 1, -3))
print("plant-user", *call(${nr("add_key")}, b"user", b"planted-by-sandbox", b"x", 1, -4))
try:
    print("PROCKEYS", open("/proc/keys").read())
except OSError as e:
    print("no /proc/keys", e.errno)
`;
    const { result, tail } = runFromShell({
      prelude: '"$KEYCTL" add user mlerl-host-secret TOPSECRET-VALUE @s > /dev/null',
      code,
      after: 'echo "HOST SESSION"; "$KEYCTL" show @s',
      ownSession: true,
    });
    assert.equal(result.exitCode, 0, result.stderr.text);
    for (const k of ["session", "search", "plant-session", "plant-user"])
      assert.match(result.stdout.text, new RegExp(`^${k} -1 1$`, "m"), k);
    assert.doesNotMatch(result.stdout.text, /mlerl-host-secret|TOPSECRET/);
    assert.match(tail, /mlerl-host-secret/, "the host session still holds its own key");
    assert.doesNotMatch(tail, /planted-by-sandbox/);
    assert.equal(result.stderr.text, "", "nothing of the keyring set-up shows on the program's stderr");
    const users = keyUsers();
    for (const uid of leasedUids()) assert.equal(users.get(uid) ?? 0, 0, `uid ${uid} holds no key`);
    assertHostFine();
  },
);

test(
  "a leased uid whose keyrings hold keys has them cleared when the lease ends",
  { skip: rootOnly || (!keyctl && "keyutils is not installed (scripts/setup.sh installs it)") },
  () => {
    const lease = acquireSandboxUid();
    try {
      const asUid = (...args: string[]) =>
        spawnSync("/usr/bin/setpriv", [`--reuid=${lease.uid}`, `--regid=${lease.uid}`, "--clear-groups", "--", keyctl!, ...args], {
          encoding: "utf8",
        });
      assert.equal(asUid("add", "user", "left-by-a-run", "secret", "@u").status, 0);
      assert.ok((keyUsers().get(lease.uid) ?? 0) > 0);
      assert.equal(clearUidKeyrings(lease.uid, { setpriv: probe.setpriv!, keyctl }), true);
      const listed = asUid("rlist", "@u");
      assert.equal(listed.stdout.trim(), "", "the user keyring is empty");
      assert.equal(asUid("search", "@u", "user", "left-by-a-run").status !== 0, true, "the key is gone");
    } finally {
      lease.release();
    }
  },
);

test("the program cannot forge the exit and resource report, on either measuring path", { skip: sandboxUnavailable }, async () => {
  const code = `
import json, os, sys, time
fake = (json.dumps({"wallSec": 0.001, "cpuSec": 12345, "maxRssKb": 1, "exitCode": 0, "signal": None}) + "\\n").encode()
for fd in range(3, 12):
    try:
        os.write(fd, fake)
        print("WROTE fd", fd, flush=True)
    except OSError as e:
        pass
for pid in sorted({os.getppid(), 1}):
    for fd in range(3, 12):
        try:
            with open("/proc/%d/fd/%d" % (pid, fd), "wb") as f:
                f.write(fake)
            print("WROTE proc", pid, fd, flush=True)
        except OSError as e:
            pass
b = bytearray(30_000_000)
t = time.process_time()
while time.process_time() - t < 0.2:
    pass
sys.exit(7)
`;
  for (const executor of [ex, new BwrapExecutor({ measure: "launcher" })]) {
    const { r } = await runProgram(executor, task, code);
    assert.doesNotMatch(r.stdout.text, /WROTE/, r.stdout.text);
    assert.equal(r.exitCode, 7, r.stderr.text);
    assert.ok(r.cpuSec !== null && r.cpuSec >= 0.2 && r.cpuSec < 100, `cpu ${r.cpuSec}`);
    assert.ok(r.peakMemoryMb !== null && r.peakMemoryMb >= 30, `peak ${r.peakMemoryMb}`);
  }
  assertHostFine();
});

test(
  "/home/submission is a tmpfs capped in bytes and inodes: fallocate and a flood of files stop there, only submission.csv is copied out",
  { skip: rootOnly },
  async () => {
    const code = `
import os
res = []
for i in range(4):
    fd = os.open("/home/submission/big%d" % i, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        os.posix_fallocate(fd, 0, 40 << 20)
        res.append("ok")
    except OSError as e:
        res.append(e.errno)
    os.close(fd)
print("FALLOCATE", res)
n = 0
try:
    while n < 200000:
        open("/home/submission/f%d" % n, "w").close()
        n += 1
except OSError as e:
    print("FILES", n, e.errno)
for i in range(4):
    os.unlink("/home/submission/big%d" % i)
for i in range(20):
    os.unlink("/home/submission/f%d" % i)
print([l.split(" - ")[1] for l in open("/proc/self/mountinfo") if " /home/submission " in l])
with open("/home/submission/submission.csv", "w") as f:
    f.write("id,y\\n3,1\\n")
`;
    const { r, outDir } = await runProgram(ex, task, code, { maxFileSizeMb: 64 });
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.match(r.stdout.text, /^FALLOCATE \['ok', 28, 28, 28\]$/m, "one 40 MiB file fits the 64 MiB cap, the others do not");
    const files = /^FILES (\d+) 28$/m.exec(r.stdout.text);
    assert.ok(files && Number(files[1]) < 4096, r.stdout.text);
    assert.match(r.stdout.text, /tmpfs mlerl-submission rw,size=65536k,nr_inodes=4096/);
    assert.deepEqual(readdirSync(outDir).sort(), ["program.py", "result.json", "stderr.txt", "stdout.txt", "submission.csv"]);
    assert.equal(readFileSync(join(outDir, "submission.csv"), "utf8"), "id,y\n3,1\n");
    await runDirsRemoved();
    const mounts = readFileSync("/proc/self/mountinfo", "utf8");
    assert.doesNotMatch(mounts, new RegExp(`mlerl-run-${process.pid}-`), "the tmpfs is unmounted after the run");
    assertHostFine();
  },
);

test("a sparse 500 MiB submission.csv is refused unread", { skip: sandboxUnavailable }, async () => {
  const code = `
import os
fd = os.open("/home/submission/submission.csv", os.O_CREAT | os.O_WRONLY, 0o644)
os.ftruncate(fd, 500 << 20)
print("made")
`;
  const t0 = process.hrtime.bigint();
  const outDir = join(task.root, "sparse-out");
  const r = await ex.run({
    code,
    publicDir: task.publicDir,
    outDir,
    limits: { timeoutSec: 20, maxFileSizeMb: 1000 },
    maxSubmissionBytes: 1 << 20,
  });
  void t0;
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.equal(r.submissionPath, null);
  assert.ok(
    (r.notes ?? []).some((n) => /submission\.csv refused: .*524288000 bytes, over the 1048576-byte limit/.test(n)),
    JSON.stringify(r.notes),
  );
  assert.deepEqual(readdirSync(outDir).sort(), ["program.py", "result.json", "stderr.txt", "stdout.txt"]);
  assertHostFine();
});

test(
  "no nested user namespace, an empty capability bounding set, the seccomp filter on, and no host path of the run in /proc",
  { skip: sandboxUnavailable },
  async () => {
    const code = `
import ctypes, json, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
out = {}
out["unshare"] = [libc.unshare(0x10000000), ctypes.get_errno()]
r = subprocess.run(["unshare", "-r", "true"], capture_output=True, text=True)
out["unshare_cmd"] = r.returncode
status = open("/proc/self/status").read()
out["capbnd"] = [l.split()[1] for l in status.splitlines() if l.startswith("CapBnd")][0]
out["seccomp"] = [l.split()[1] for l in status.splitlines() if l.startswith("Seccomp:")][0]
def call(n, *args):
    r = libc.syscall(n, *args)
    return [r, ctypes.get_errno() if r < 0 else 0]
out["calls"] = {
    "ptrace": call(${nr("ptrace")}, 0x4206, os.getppid(), 0, 0),  # PTRACE_SEIZE the parent
    "process_vm_readv": call(${nr("process_vm_readv")}, os.getpid(), 0, 0, 0, 0, 0),
    "bpf": call(${nr("bpf")}, 0, 0, 0),
    "perf_event_open": call(${nr("perf_event_open")}, 0, 0, -1, -1, 0),
    "userfaultfd": call(${nr("userfaultfd")}, 0),
    "io_uring_setup": call(${nr("io_uring_setup")}, 1, 0),
    "setns": call(${nr("setns")}, 0, 0),
    "mount": call(${nr("mount")}, b"none", b"/home/work", b"tmpfs", 0, None),
    "kexec_load": call(${nr("kexec_load")}, 0, 0, 0, 0),
    "clone3": call(${nr("clone3")}, 0, 0),
    "personality_no_aslr": call(${nr("personality")}, 0x0040000),
    "personality_query": call(${nr("personality")}, 0xFFFFFFFF),
}
out["cmdline"] = open("/proc/1/cmdline").read().replace("\\0", " ")
out["self_cmdline"] = open("/proc/self/cmdline").read().replace("\\0", " ")
out["mountinfo"] = open("/proc/self/mountinfo").read()
print(json.dumps(out))
`;
    const { r, outDir } = await runProgram(ex, task, code);
    assert.equal(r.exitCode, 0, r.stderr.text);
    const out = JSON.parse(r.stdout.text) as {
      unshare: [number, number];
      unshare_cmd: number;
      capbnd: string;
      seccomp: string;
      calls: Record<string, [number, number]>;
      cmdline: string;
      self_cmdline: string;
      mountinfo: string;
    };
    assert.deepEqual(out.unshare, [-1, 1], "unshare(CLONE_NEWUSER) is refused with EPERM");
    assert.notEqual(out.unshare_cmd, 0, "unshare -r fails");
    assert.equal(out.capbnd, "0000000000000000");
    assert.equal(out.seccomp, "2", "a seccomp filter is in force");
    for (const [name, [ret, errno]] of Object.entries(out.calls)) {
      if (name === "personality_query") assert.ok(ret >= 0, "reading the persona still works");
      else if (name === "clone3") assert.deepEqual([ret, errno], [-1, 38], "clone3 is ENOSYS (glibc falls back to clone)");
      else assert.deepEqual([ret, errno], [-1, 1], `${name} is refused with EPERM`);
    }
    for (const hostPath of [outDir, task.root, "mlerl-run-"]) {
      assert.ok(!out.cmdline.includes(hostPath), `/proc/1/cmdline shows ${hostPath}: ${out.cmdline}`);
      assert.ok(!out.self_cmdline.includes(hostPath));
    }
    for (const hostPath of [outDir, "mlerl-run-"]) assert.ok(!out.mountinfo.includes(hostPath), `mountinfo shows ${hostPath}`);
    assertHostFine();
  },
);

test(
  "an x32 system call (another ABI with other numbers) kills the process",
  { skip: sandboxUnavailable || (process.arch !== "x64" && "x86_64 only") },
  async () => {
    const code = `
import subprocess, sys
child = "import ctypes; ctypes.CDLL(None).syscall(0x40000000 + ${nr("keyctl")}, 0, -3, 0); print('survived')"
r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True)
print("child", r.returncode, r.stdout.strip())
`;
    const { r } = await runProgram(ex, task, code);
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.match(r.stdout.text, /^child -31 $/m, "killed by SIGSYS");
    assertHostFine();
  },
);

test("each execution is held to its CPU quota (one core by default) and the result records it", { skip: sandboxUnavailable }, async () => {
  const code = `
import multiprocessing as mp, time
def burn():
    t = time.monotonic()
    while time.monotonic() - t < 1.5:
        pass
if __name__ == "__main__":
    ps = [mp.Process(target=burn) for _ in range(3)]
    for p in ps: p.start()
    for p in ps: p.join()
    print("done")
`;
  const { r } = await runProgram(ex, task, code);
  assert.equal(r.exitCode, 0, r.stderr.text);
  assert.ok(r.cpuLimit, "a CPU bound was applied");
  assert.equal(r.cpuLimit.cores, 1);
  if (r.cpuLimit.by === "cgroup-quota") {
    // Three busy processes for 1.5 s of their own wall time get at most one core's worth between them.
    assert.ok(r.cpuSec !== null && r.cpuSec <= r.wallSec * 1.1 + 0.3, `cpu ${r.cpuSec} s in ${r.wallSec} s`);
  }
  const { r: two } = await runProgram(ex, task, "print('x')\n", { cpus: 2 });
  assert.equal(two.cpuLimit?.cores, 2);
  const { r: threads } = await runProgram(ex, task, "print('x')\n", { threads: 2 });
  assert.equal(threads.cpuLimit?.cores, 2, "the quota follows the thread count unless given");
  assertHostFine();
});

test(
  "the Python ML stack works under the filter: numpy, pandas, scikit-learn, LightGBM, XGBoost, joblib processes and threads",
  { skip: sandboxUnavailable },
  async () => {
    const code = `
import numpy as np, pandas as pd
from joblib import Parallel, delayed
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
import lightgbm as lgb, xgboost as xgb
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 5)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
df = pd.DataFrame(X).assign(y=y).groupby("y").mean()
print("loky", sum(Parallel(n_jobs=2, backend="loky")(delayed(abs)(-i) for i in range(8))))
print("threads", sum(Parallel(n_jobs=2, prefer="threads")(delayed(abs)(-i) for i in range(8))))
print("rf", RandomForestClassifier(n_estimators=20, n_jobs=2, random_state=0).fit(X, y).score(X, y) > 0.9)
print("lr", LogisticRegression().fit(X, y).score(X, y) > 0.9)
print("lgb", lgb.LGBMClassifier(n_estimators=20, num_threads=2, verbose=-1).fit(X, y).score(X, y) > 0.9)
print("xgb", xgb.XGBClassifier(n_estimators=20, nthread=2).fit(X, y).score(X, y) > 0.9)
`;
    const { r } = await runProgram(ex, task, code, { threads: 2, timeoutSec: 120 });
    assert.equal(r.exitCode, 0, r.stderr.text);
    assert.equal(r.stdout.text, "loky 28\nthreads 28\nrf True\nlr True\nlgb True\nxgb True\n");
    assertHostFine();
  },
);

test("a reused out dir keeps nothing of the previous run", { skip: sandboxUnavailable }, async () => {
  const outDir = join(task.root, "reused");
  const first = await ex.run({
    code: 'open("/home/submission/submission.csv", "w").write("id,y\\n3,1\\n")\n',
    publicDir: task.publicDir,
    outDir,
  });
  assert.ok(first.submissionPath);
  writeFileSync(join(outDir, "grade.json"), "{}");
  const second = await ex.run({ code: "raise SystemExit(1)\n", publicDir: task.publicDir, outDir });
  assert.equal(second.exitCode, 1);
  assert.equal(second.submissionPath, null);
  assert.deepEqual(readdirSync(outDir).sort(), ["program.py", "result.json", "stderr.txt", "stdout.txt"]);
});
