"""Run an agent program with milestone markers that the program itself cannot forge.

Started as `python -c <this file's text> /path/to/program.py` with the plan on stdin (see launch.ts):
  <header length in bytes>\n<header JSON: {"sites": [...], "slots": [[kind, length], ...]}><marker lines>
The marker lines follow the header back to back, slot after slot; each is a complete `@@mlerl <tag> <kind>` line
(a `metric` line lacks its value and newline, which are appended when it is written).

Needs Python 3.11+ (code positions identify the injected calls) and Linux; elsewhere no marker is written.

Why it is built this way (see docs/instrumentation.md):
- The file on disk stays the agent's original program, so reading `__file__` finds no marker code, and
  tracebacks, `inspect.getsource` and warnings show the original lines with the original line numbers.
- The process is made non-dumpable before anything secret arrives: another process of the sandbox's uid cannot
  ptrace it or read its memory, and its /proc/self/mem, /proc/self/fd/*, /proc/self/environ belong to root.
- The marker lines never become Python objects. They are read from stdin straight into pages of their own
  (memfd_secret memory, which not even /proc/<pid>/mem or process_vm_readv can read; anonymous memory where the
  kernel has none), one line per page, kept PROT_NONE. Writing a marker makes only its page readable, with signals
  blocked and the GIL held, writes it to the real stdout, zeroes it and makes it inaccessible again: every line is
  used once (a `metric` report uses one of many one-time lines), so reading memory at any moment finds at most the
  line being written right now, which is genuine anyway, and a copy printed again is seen outside as a replay.
- Markers go to a private duplicate of the original stdout, and only while it still is that same file: a program
  cannot redirect them into a pipe it reads.
- Each site is an injected `sys.audit("mlerl.site", k)` call, and an audit hook (which Python code cannot list or
  remove) checks that the event really comes from that injected instruction before it writes line k. Calling
  `sys.audit("mlerl.site", k)` from anywhere else writes nothing.
- Introspection that could reach the hook's own state or steer control flow into a site (gc walks, other threads'
  frames, trace/profile hooks, raw memory reads) wipes every line first, so later markers are simply not written.
The static plain-ML profile (plain_profile.py), checked outside the sandbox before the program is started with this
launcher at all, is the first line of defence; what is here limits what a program that slips past it can reach.
"""

import ast
import sys

MARK_COL = 1_000_000  # column offset of injected nodes: no real source line is this long
EVENT = "mlerl.site"
REVOKING = frozenset((
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames", "sys.settrace",
    "sys.setprofile", "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata", "sys.monitoring.register_callback",
    "sys.addaudithook",
))
PAGE_NONE, PAGE_RW = 0, 3  # mmap/mprotect protections
MAP_SHARED, MAP_ANONYMOUS = 0x01, 0x20
PR_SET_DUMPABLE = 4
MEMFD_SECRET = {"x86_64": 447, "aarch64": 447}  # syscall numbers
PRIVATE_FD_MIN = 200  # the private stdout copy sits above the descriptors a program normally uses



def split_lines(text):
    """Lines with their endings, split on \\n only (what the tokenizer counts after newline translation)."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def with_sites(text, sites):
    """The program text with one `__mlerl_site__(k[, value])` line per site, and the set of their line numbers."""
    lines = split_lines(text)
    by_after = {}
    for k, s in enumerate(sites):
        by_after.setdefault(int(s["after"]), []).append(k)
    out, marker_lines = [], set()

    def emit(k):
        s = sites[k]
        value = s.get("value")
        call = f"__mlerl_site__({k}, {value})" if value else f"__mlerl_site__({k})"
        out.append(f"{s['indent']}{call}\n")
        marker_lines.add(len(out))

    for k in by_after.get(0, []):
        emit(k)
    for i, line in enumerate(lines, start=1):
        if i in by_after and not line.endswith("\n"):
            line += "\n"
        out.append(line)
        for k in by_after.get(i, []):
            emit(k)
    return "".join(out), marker_lines


def stmt_lists(tree):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def injected(k, line, value):
    """`try: sys.stdout.flush()` and `try: sys.audit(EVENT, k[, float(value)])`, each `except Exception: pass`."""
    args = [ast.Constant(EVENT), ast.Constant(k)]
    if value is not None:
        args.append(ast.Call(ast.Name("float", ast.Load()), [value], []))
    call = ast.Call(
        ast.Attribute(ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("sys")], []), "audit", ast.Load()),
        args, [],
    )
    flush = ast.Call(ast.Attribute(ast.Attribute(ast.Call(ast.Name("__import__", ast.Load()), [ast.Constant("sys")], []),
                                                 "stdout", ast.Load()), "flush", ast.Load()), [], [])
    handler = ast.ExceptHandler(ast.Name("Exception", ast.Load()), None, [ast.Pass()])
    handler2 = ast.ExceptHandler(ast.Name("Exception", ast.Load()), None, [ast.Pass()])
    # Flush the program's own buffered prints first (in the program's context) so markers interleave in order.
    nodes = [ast.Try([ast.Expr(flush)], [handler], [], []), ast.Try([ast.Expr(call)], [handler2], [], [])]
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, (ast.stmt, ast.expr, ast.excepthandler)):
                n.lineno = n.end_lineno = max(line, 1)
                n.col_offset = MARK_COL + k
                n.end_col_offset = MARK_COL + k + 1
    return nodes


def build(text, sites, filename):
    """Parse the program with its sites; return (ast.Module with injected site calls, None) or (None, why not)."""
    try:
        original = ast.parse(text, filename)
    except (SyntaxError, ValueError) as e:
        return None, f"program does not parse: {e}"
    marked_text, marker_lines = with_sites(text, sites)
    try:
        tree = ast.parse(marked_text, filename)
    except (SyntaxError, ValueError) as e:
        return None, f"a marker line breaks the program: {e}"
    blocks = []  # (block, its statements with marker statements, marker positions)
    seen = set()
    for block in stmt_lists(tree):
        marks = [i for i, stmt in enumerate(block) if stmt.lineno in marker_lines]
        if marks:
            blocks.append((block, list(block), marks))
            seen.update(block[i].lineno for i in marks)
    if seen != marker_lines:
        return None, "a marker line is not a statement of its own"
    for block, full, marks in blocks:
        for i in marks:
            call = full[i].value if isinstance(full[i], ast.Expr) else None
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "__mlerl_site__"):
                return None, f"the marker line at {full[i].lineno} does not parse as a marker"
        block[:] = [stmt for i, stmt in enumerate(full) if i not in marks]
    if ast.dump(tree) != ast.dump(original):
        return None, "the program without its marker lines differs from the original"
    # Line numbers back to the original file's, so tracebacks and inspect read the right lines.
    ordered = sorted(marker_lines)

    def to_original(n):
        lo, hi = 0, len(ordered)
        while lo < hi:
            mid = (lo + hi) // 2
            if ordered[mid] < n:
                lo = mid + 1
            else:
                hi = mid
        return n - lo

    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is not None:
            node.lineno = to_original(node.lineno)
        if getattr(node, "end_lineno", None) is not None:
            node.end_lineno = to_original(node.end_lineno)
    for block, full, marks in blocks:
        rebuilt = []
        for i, stmt in enumerate(full):
            if i in marks:
                k = stmt.value.args[0].value
                value = stmt.value.args[1] if len(stmt.value.args) > 1 else None
                rebuilt.extend(injected(k, int(sites[k]["after"]), value))
            else:
                rebuilt.append(stmt)
        block[:] = rebuilt
    return tree, None


def code_objects(code):
    out, stack = [], [code]
    while stack:
        c = stack.pop()
        out.append(c)
        stack.extend(x for x in c.co_consts if isinstance(x, type(code)))
    return out


def open_store(read_into, slots):
    """Pages for the marker lines, filled from stdin by `read_into(address, n)` and then made inaccessible.

    Returns an object with `send(i, suffix)` (write line i, with `suffix` appended, to the private stdout copy,
    then destroy it) and `wipe()`; None if the memory cannot be set up (no marker is then written).
    """
    import ctypes
    import os

    libc = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the GIL stays held during every call below
    vp, sz, ci, cl = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_long
    mmap_, mprotect, memset, memmove, write = libc.mmap, libc.mprotect, libc.memset, libc.memmove, libc.write
    mmap_.restype, mmap_.argtypes = vp, [vp, sz, ci, ci, ci, cl]
    mprotect.restype, mprotect.argtypes = ci, [vp, sz, ci]
    memset.restype, memset.argtypes = vp, [vp, ci, sz]
    memmove.restype, memmove.argtypes = vp, [vp, ctypes.c_char_p, sz]
    write.restype, write.argtypes = ctypes.c_ssize_t, [ci, vp, sz]
    page = os.sysconf("SC_PAGESIZE")
    size = page * len(slots)
    failed = ctypes.c_void_p(-1).value
    base = None
    number = MEMFD_SECRET.get(os.uname().machine)
    if number is not None:
        libc.syscall.restype, libc.syscall.argtypes = cl, [cl, ctypes.c_uint]
        fd = libc.syscall(number, 0)
        if fd >= 0:
            try:
                os.ftruncate(fd, size)
                base = mmap_(None, size, PAGE_RW, MAP_SHARED, fd, 0)
            except OSError:
                base = None
            finally:
                os.close(fd)
    if base in (None, 0, failed):
        # Shared, so a forked copy of the program sees the same lines consumed.
        base = mmap_(None, size, PAGE_RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
    if base in (None, 0, failed):
        return None
    lengths = []
    for i, (_, length) in enumerate(slots):
        if not read_into(base + i * page, length):
            memset(base, 0, size)
            mprotect(base, size, PAGE_NONE)
            return None
        lengths.append(length)
    if mprotect(base, size, PAGE_NONE) != 0:
        memset(base, 0, size)
        return None
    import fcntl
    import signal

    try:
        out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, PRIVATE_FD_MIN)
        st = os.fstat(out)
        ident = (st.st_dev, st.st_ino)
    except OSError:
        out, ident = -1, None
    block, restore, every = signal.pthread_sigmask, signal.SIG_SETMASK, signal.valid_signals()
    # Bound here: the launcher's module globals are the program's __main__ and are cleared before it starts.
    fstat, live, first_byte, rw, none = os.fstat, [True], ctypes.c_char, PAGE_RW, PAGE_NONE
    from _thread import allocate_lock

    lock = allocate_lock()  # one thread at a time changes the pages' protection

    class Store:
        __slots__ = ()

        def send(self, i, suffix):
            if not live[0]:
                return
            try:
                st = fstat(out)
                same = (st.st_dev, st.st_ino) == ident
            except OSError:
                same = False
            if not same:
                self.wipe()  # stdout was replaced behind the launcher's back: write nothing from now on
                return
            at = base + i * page
            # A timeout, not a wait forever: a copy forked while another thread held the lock never gets it back.
            if lock.acquire(timeout=5):
                try:
                    if live[0]:
                        self._send(at, i, suffix)
                finally:
                    lock.release()

        def _send(self, at, i, suffix):
            old = block(signal.SIG_BLOCK, every)
            try:
                mprotect(at, page, rw)
                try:
                    if first_byte.from_address(at).value == b"@":  # not yet used (here or in a forked copy)
                        n = lengths[i]
                        if suffix:
                            memmove(at + n, suffix, len(suffix))
                            n += len(suffix)
                        write(out, at, n)
                finally:
                    memset(at, 0, page)
                    mprotect(at, page, none)
            finally:
                block(restore, old)

        def wipe(self):
            live[0] = False  # no further line is written, even if the pages cannot be zeroed below
            if not lock.acquire(timeout=5):
                return
            try:
                old = block(signal.SIG_BLOCK, every)
                try:
                    mprotect(base, size, rw)
                    memset(base, 0, size)
                    mprotect(base, size, none)
                finally:
                    block(restore, old)
            finally:
                lock.release()

    return Store()


def install_hook(codes, sites, slots, store):
    """The audit hook that writes markers. Only the slot bookkeeping lives here; the lines are in `store`."""
    import re

    expected = {}  # id(code) -> {code-unit index: site k}
    keep = list(codes)  # keeps ids stable for the life of the process
    for c in keep:
        positions = list(c.co_positions()) if hasattr(c, "co_positions") else []
        units = {i: p[2] - MARK_COL for i, p in enumerate(positions) if p[2] is not None and p[2] >= MARK_COL}
        expected[id(c)] = units
    once = {}  # kind -> its slot (one marker per milestone)
    metric = []  # the one-time slots of metric reports, in order
    for i, (kind, _) in enumerate(slots):
        if kind == "metric":
            metric.append(i)
        elif kind not in once:
            once[kind] = i
    kinds = [s["kind"] for s in sites]
    state = {"next_metric": 0}
    # Threads inside the hook right now: their own nested events (the ctypes calls that write a marker raise
    # audit events too) are ignored, while another thread's events are still seen.
    busy = set()
    mem = re.compile(r"^/proc/[^/]+/(mem|map_files)|^/dev/k?mem$")
    getframe = sys._getframe
    from _thread import get_ident

    # Everything the hook uses is bound here: the launcher's module globals are the program's __main__ and
    # are cleared before the program starts.
    event_name, revoking, str_type, int_type, float_type = EVENT, REVOKING, str, int, float
    interesting = REVOKING | {EVENT, "open"}
    send, wipe = store.send, store.wipe

    def hook(event, args):
        # Called for every audit event of the process (tens of thousands for an ML program): keep the
        # common path to one set lookup.
        if event not in interesting:
            return
        me = get_ident()
        if me in busy:
            return
        busy.add(me)
        try:
            if event == event_name:
                emit(args)
            elif event in revoking or (event == "open" and args and type(args[0]) is str_type and mem.search(args[0])):
                once.clear()
                metric.clear()
                wipe()
        except BaseException:
            pass
        finally:
            busy.discard(me)

    def emit(args):
        if not args or type(args[0]) is not int_type:
            return
        k = args[0]
        frame = getframe(2)  # 0: emit, 1: hook, 2: the frame that called sys.audit
        code = frame.f_code
        units = expected.get(id(code))
        if units is None or units.get(frame.f_lasti // 2) != k or not 0 <= k < len(kinds):
            return
        kind = kinds[k]
        if len(args) > 1:
            v = args[1]
            if type(v) is not float_type or kind != "metric" or state["next_metric"] >= len(metric):
                return
            slot = metric[state["next_metric"]]
            state["next_metric"] += 1
            send(slot, f" {v!r}\n".encode())
            return
        slot = once.pop(kind, None)  # one marker per milestone
        if slot is not None:
            send(slot, None)

    sys.addaudithook(hook)


def read_plan():
    """The header (sites and slot lengths) from fd 0; the marker lines stay in the pipe for the store to take."""
    import json
    import os

    digits = b""
    while len(digits) < 12:
        c = os.read(0, 1)
        if not c or c == b"\n":
            break
        digits += c
    if not digits.isdigit():
        return None
    want, raw = int(digits), b""
    while len(raw) < want:
        chunk = os.read(0, want - len(raw))
        if not chunk:
            return None
        raw += chunk
    plan = json.loads(raw.decode("utf-8"))
    sites, slots = plan.get("sites"), plan.get("slots")
    if not isinstance(sites, list) or not isinstance(slots, list) or not slots:
        return None
    slots = [(str(kind), int(length)) for kind, length in slots]
    if any(length <= 0 or length > 512 for _, length in slots):
        return None
    return sites, slots


def stdin_reader():
    """`read_into(address, n)`: reads exactly n bytes from fd 0 into memory at `address` (never via a Python object)."""
    import ctypes

    libc = ctypes.PyDLL(None, use_errno=True)
    read = libc.read
    read.restype, read.argtypes = ctypes.c_ssize_t, [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]

    def read_into(address, n):
        got = 0
        while got < n:
            r = read(0, address + got, n - got)
            if r <= 0:
                if r < 0 and ctypes.get_errno() == 4:  # EINTR
                    continue
                return False
            got += r
        return True

    return read_into


def not_dumpable():
    import ctypes

    try:
        ctypes.PyDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (AttributeError, OSError):
        pass


def launch():
    import os
    import importlib.util

    _sys, _exit = sys, SystemExit

    plan, store = None, None
    try:
        not_dumpable()
        plan = read_plan()
        if plan is not None:
            store = open_store(stdin_reader(), plan[1])
    except Exception:
        plan, store = None, None
    # Whatever is left of the plan (all of it if the store could not be set up) is read into one buffer that is
    # zeroed after every read: no copy of a marker line may stay behind in freed memory.
    rest = bytearray(1 << 16)
    while True:
        try:
            n = os.readv(0, [rest])
        except OSError:
            break
        if n <= 0:
            break
        rest[:n] = bytes(n)
    del rest
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    path = sys.argv[1]
    abspath = os.path.abspath(path)
    with open(path, "rb") as f:
        source = f.read()
    code = None
    if store is not None:
        sites, slots = plan
        try:
            text = importlib.util.decode_source(source)
            tree, why = build(text, sites, path)
            if tree is not None:
                code = compile(tree, path, "exec", dont_inherit=True)
                install_hook(code_objects(code), sites, slots, store)
            else:
                sys.stderr.flush()
        except Exception:
            code = None
        if code is None:
            store.wipe()
    del plan, store
    if code is None:
        try:
            code = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            # The program's own error, reported as `python program.py` reports it: no traceback frames.
            e.__traceback__ = None
            _sys.excepthook(type(e), e, None)
            raise _exit(1)
    _sys.argv = _sys.argv[1:]
    # The program's directory is not put on sys.path: it is writable, and a module the program wrote there would
    # be code the profile never checked (a program is one file and imports nothing of its own).
    _sys.path[0:1] = []
    main = _sys.modules["__main__"]
    g = main.__dict__
    g.clear()
    g.update({"__name__": "__main__", "__doc__": None, "__package__": None, "__spec__": None,
              "__file__": path, "__cached__": None, "__builtins__": __import__("builtins")})
    try:
        exec(code, g)
    except _exit:
        raise
    except BaseException as e:
        # Report it as `python program.py` would: without this launcher's own frame.
        tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
        e.__traceback__ = tb  # the hook prints the exception's own traceback
        _sys.excepthook(type(e), e, tb)
        raise _exit(1)


if __name__ == "__main__" and sys.argv and sys.argv[0] == "-c":
    launch()
