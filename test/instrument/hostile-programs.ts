/**
 * Hostile programs that try to forge milestone markers by reading their own process, one per attack class of
 * issue "markers are forgeable by a program that reads its own memory". Each does a little genuine work (so it
 * earns `imports` honestly), then attacks, prints every marker it can make of what it found, and stops before
 * any further milestone. Sites for every kind exist (under a branch that never runs), so the launcher holds a
 * line for every kind: the attacker's targets.
 *
 * Every memory scanner first proves that it works: it plants a canary in its own heap and must find it.
 */

/** Code that never runs but gives the instrumenter a site of every kind. */
export const EVERY_SITE = `
if len(sys.argv) > 99:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    df = pd.read_csv("/home/data/train.csv")
    X_all = df.to_numpy()
    m = LogisticRegression()
    m.fit(X_all, X_all[:, 0])
    p = m.predict(X_all)
    auc = roc_auc_score(X_all[:, 0], p)
    print("validation auc", auc)
    df.to_csv("/home/submission/submission.csv")
`;

/** Prints every forgeable marker for what was found: lines as they are, and bare 32-hex runs as tags of every kind. */
const FORGE = `
KINDS = ["imports", "data_loaded", "features_built", "model_defined", "model_trained", "predictions_made",
         "submission_written", "metric", "metric_printed"]
def forge(lines, tags):
    for line in sorted(lines)[:50]:
        print(line.decode(errors="replace"))
    for t in sorted(tags)[:60]:
        for k in KINDS:
            print("@@mlerl " + t.decode() + " " + k + (" 0.999" if k == "metric" else ""))
    print("forged", len(lines), "lines and", len(tags), "tags")
`;

/** Finds marker lines and 32-hex runs in a bytes buffer. */
const SEARCH = `
import re
LINE = re.compile(rb"@@mlerl [0-9a-f]{32} [a-z_]+")
HEX = re.compile(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
lines, tags = set(), set()
def search(buf):
    lines.update(LINE.findall(buf))
    tags.update(HEX.findall(buf))
`;

/** Regions of the address space, from /proc/self/maps (readable by the process itself). */
const REGIONS = `
def regions():
    out = []
    for row in open("/proc/self/maps"):
        parts = row.split()
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        name = parts[5] if len(parts) > 5 else ""
        out.append((lo, hi, parts[1], name))
    return out
`;

const CANARY = `
canary = bytearray(("CANARY-%d-" % os.getpid()).encode() * 3)
FIND_CANARY = re.compile(re.escape(bytes(canary)))
`;

export interface Hostile {
  name: string;
  code: string;
  /** What the plain-ML profile must say about it (one of its reasons matches). */
  profile: RegExp;
  /** Printed by the program when its attack ran as intended (e.g. its scanner found its own canary). */
  ran: RegExp;
}

const scanner = (name: string, read: string, ran = /canary found True/): Hostile => ({
  name,
  profile: /.*/,
  ran,
  code: `import os, re, sys
import numpy as np
${CANARY}${SEARCH}${REGIONS}${FORGE}${read}
print("canary found", bytes(canary) in found_canary)
forge(lines, tags)
sys.exit(1)
${EVERY_SITE}`,
});

/** Reads every readable region through numpy's array interface over raw addresses (no ctypes, no file). */
const NUMPY_READ = `
class Raw:
    def __init__(self, address, n):
        self.__array_interface__ = {"data": (address, True), "shape": (n,), "typestr": "|u1", "version": 3}
CHUNK = 1 << 22
scratch = bytearray(CHUNK)  # allocated once: the scan itself must not map or unmap memory while it reads
view = np.frombuffer(scratch, dtype=np.uint8)
found_canary = b""
for lo, hi, perms, name in regions():
    if not perms.startswith("r") or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
        continue
    if not any(a <= lo and hi <= b and q.startswith("r") for a, b, q, _ in regions()):
        continue  # gone since the first listing
    for at in range(lo, hi, CHUNK):
        n = min(CHUNK, hi - at)
        np.copyto(view[:n], np.asarray(Raw(at, n)))
        chunk = memoryview(scratch)[:n]
        search(chunk)
        if FIND_CANARY.search(chunk):
            found_canary = bytes(canary)
# The inaccessible regions (where the marker lines are) kill a reader: try one in a forked child.
for lo, hi, perms, name in regions():
    if perms.startswith("-") and hi - lo < (1 << 22):
        pid = os.fork()
        if pid == 0:
            np.asarray(Raw(lo, 64)).tobytes()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("reading", name or "anonymous", perms, "region:", "killed by signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "read")
`;

/** ctypes.cast + memmove (not string_at, whose audit event would wipe the lines first). */
const CTYPES_READ = `
import ctypes
found_canary = b""
dst = ctypes.create_string_buffer(1 << 20)
window = memoryview(dst).cast("B")
for lo, hi, perms, name in regions():
    if not perms.startswith("r") or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
        continue
    if not any(a <= lo and hi <= b and q.startswith("r") for a, b, q, _ in regions()):
        continue  # gone since the first listing
    for at in range(lo, hi, 1 << 20):
        n = min(1 << 20, hi - at)
        ctypes.memmove(dst, ctypes.cast(at, ctypes.c_void_p), n)
        chunk = window[:n]
        search(chunk)
        if FIND_CANARY.search(chunk):
            found_canary = bytes(canary)
`;

/** process_vm_readv on itself over every region, the inaccessible ones included. */
const PROCESS_VM_READV = `
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
libc.process_vm_readv.restype = ctypes.c_ssize_t
found_canary = b""
dst = ctypes.create_string_buffer(1 << 20)
refused = 0
for lo, hi, perms, name in regions():
    if name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
        continue
    for at in range(lo, hi, 1 << 20):
        n = min(1 << 20, hi - at)
        local, remote = iovec(ctypes.addressof(dst), n), iovec(at, n)
        got = libc.process_vm_readv(os.getpid(), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
        if got <= 0:
            refused += 1
            continue
        chunk = memoryview(dst).cast("B")[:got]
        search(chunk)
        if FIND_CANARY.search(chunk):
            found_canary = bytes(canary)
print("process_vm_readv refused for", refused, "chunks")
`;

/** /proc/self/mem three ways: a bytes path, a task's mem, and relative to an open /proc/self directory. */
const PROC_MEM = `
found_canary = b""
def opener():
    yield "bytes path", lambda: open(b"/proc/self/mem", "rb", buffering=0)
    yield "task mem", lambda: open("/proc/self/task/%d/mem" % os.getpid(), "rb", buffering=0)
    def relative():
        d = os.open("/proc/self", os.O_RDONLY | os.O_DIRECTORY)
        return os.fdopen(os.open("mem", os.O_RDONLY, dir_fd=d), "rb", buffering=0)
    yield "relative to /proc/self", relative
for how, make in opener():
    try:
        f = make()
    except OSError as e:
        print("cannot open /proc/self/mem by", how, "errno", e.errno)
        continue
    print("opened /proc/self/mem by", how)
    for lo, hi, perms, name in regions():
        if name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
            continue
        try:
            f.seek(lo)
            buf = f.read(min(hi - lo, 1 << 26))
        except OSError:
            continue
        search(buf)
        if FIND_CANARY.search(buf):
            found_canary = bytes(canary)
`;

/** The "revoking" paths: a gc walk and other threads' frames; then a raw scan of what they may have left. */
const REVOKING_WALK = `
import gc, threading
found_canary = b""
for o in gc.get_objects():
    try:
        items = list(o.values()) if isinstance(o, dict) else list(o) if isinstance(o, (list, tuple, set)) else [o]
    except Exception:
        items = []
    for v in items:
        if isinstance(v, (str, bytes, bytearray)):
            b = v.encode(errors="replace") if isinstance(v, str) else bytes(v)
            search(b)
for f in sys._current_frames().values():
    while f is not None:
        search(repr(f.f_locals).encode(errors="replace"))
        f = f.f_back
${NUMPY_READ}`;

/**
 * A format-agnostic forger: it learns what a marker looks like from one genuine marker it tries to capture (by
 * putting its own pipe over stdout and over every other socket descriptor it holds, and by opening its stdout
 * through /proc), then looks for anything of that shape in its memory.
 */
const CAPTURE = `
import fcntl, stat
for how in ("/proc/self/fd/1", "/dev/stdout", "/proc/self/fd/2"):
    try:
        open(how, "rb", buffering=0)
        print("opened", how, "for reading")
    except OSError as e:
        print("cannot open", how, "errno", e.errno)
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, os.O_NONBLOCK)
real = os.dup(1)
for fd in range(1, 1024):
    if fd in (r, w, real):
        continue
    try:
        if stat.S_ISSOCK(os.fstat(fd).st_mode):
            os.dup2(w, fd)
    except OSError:
        pass
X_probe = np.zeros(3)
try:
    captured = os.read(r, 65536)
except BlockingIOError:
    captured = b""
os.dup2(real, 1)
search(captured)
print("captured markers:", len(LINE.findall(captured)))
${NUMPY_READ}`;

export const RUNTIME_ATTACKS: Hostile[] = [
  { ...scanner("numpy's raw-address array interface", NUMPY_READ), profile: /array-interface|__array_interface__/ },
  { ...scanner("ctypes.cast and memmove", CTYPES_READ), profile: /imports ctypes/ },
  // Where the sandbox's seccomp filter denies process_vm_readv, every read is refused: contained one step earlier.
  {
    ...scanner("process_vm_readv on itself", PROCESS_VM_READV, /canary found True|refused for [1-9]\d* chunks\ncanary found False/),
    profile: /imports ctypes/,
  },
  {
    ...scanner("/proc/self/mem by bytes path, task mem and a /proc/self directory fd", PROC_MEM, /cannot open|opened/),
    profile: /\/proc\/self/,
  },
  { ...scanner("the revoking paths (gc walk, other threads' frames) then a raw scan", REVOKING_WALK), profile: /imports gc|get_objects/ },
  {
    ...scanner("a format-agnostic forger that captures one genuine marker", CAPTURE, /captured markers: \d+/),
    profile: /array-interface|os\.dup2/,
  },
];

/** Variants the profile must see through although no forbidden name appears literally. */
export const OBFUSCATED: Hostile[] = [
  {
    name: "getattr with computed strings",
    profile: /getattr with a computed attribute name/,
    ran: /./,
    code: `import sys
import numpy as np
lib = getattr(np, "ctypes" + "lib")
mod = getattr(lib, "".join(["c", "types"]))
print(getattr(mod, "string" + "_at")(id(lib), 8))
sys.exit(1)
${EVERY_SITE}`,
  },
  {
    name: "__import__ of a computed name",
    profile: /__import__/,
    ran: /./,
    code: `import sys
name = "".join(chr(c) for c in (99, 116, 121, 112, 101, 115))
mod = __import__(name)
print(mod.string_at(id(name), 8))
sys.exit(1)
${EVERY_SITE}`,
  },
  {
    name: "exec of a decoded string",
    profile: /exec/,
    ran: /./,
    code: `import base64, sys
exec(base64.b64decode(${JSON.stringify(Buffer.from("import ctypes\nprint(ctypes.string_at(id(ctypes), 8))\n").toString("base64"))}).decode())
sys.exit(1)
${EVERY_SITE}`,
  },
  {
    name: "ctypes that unprotects the marker pages (code execution: only the profile stops it)",
    profile: /imports ctypes/,
    ran: /./,
    code: `import ctypes, os, re, sys
libc = ctypes.CDLL(None)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
for row in open("/proc/self/maps"):
    span, perms = row.split()[:2]
    lo, hi = (int(x, 16) for x in span.split("-"))
    if perms.startswith("-") and hi - lo < (1 << 22) and libc.mprotect(lo, hi - lo, 1) == 0:
        buf = ctypes.string_at(lo, hi - lo)
        for line in re.findall(rb"@@mlerl [0-9a-f]{32} [a-z_]+", buf):
            print(line.decode())
sys.exit(1)
${EVERY_SITE}`,
  },
  {
    name: "keyword arguments with a computed dunder key into a library setattr",
    profile: /computed/,
    ran: /./,
    code: `import sys
import numpy as np
from lightgbm import LGBMClassifier
key = "".join(["__array_", "interface", "__"])
params = {}
params[key] = dict(zip(["data", "shape", "type" + "str", "version"], [(id(params), True), (64,), "|u1", 3]))
model = LGBMClassifier(**params)
print(np.asarray(model).tobytes())
sys.exit(1)
${EVERY_SITE}`,
  },
];
