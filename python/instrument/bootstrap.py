"""Run an agent program with milestone markers that the program itself cannot forge.

Started as `python -c <this file's text> /path/to/program.py` with a JSON plan on stdin:
  {"sites": [{"after": N, "indent": "    ", "kind": "...", "value": "name"|null}], "tags": {"kind": "hex"}}

Needs Python 3.11+ (code positions identify the injected calls); on older versions no marker is written.

Why it is built this way (see docs/instrumentation.md):
- The file on disk stays the agent's original program, so reading `__file__` finds no marker code, and
  tracebacks, `inspect.getsource` and warnings show the original lines with the original line numbers.
- The plan arrives on stdin, which is read to the end and replaced by /dev/null before any program code runs;
  argv and the environment carry nothing secret. The plan holds per-kind tags (HMACs of the execution's nonce
  computed outside the sandbox), never the nonce itself.
- Markers are not print statements in the program's namespace: each site is an injected
  `sys.audit("mlerl.site", k)` call, and an audit hook (which Python code cannot list or remove) checks that the
  event really comes from that injected instruction before it writes the tagged line to fd 1. Calling
  `sys.audit("mlerl.site", k)` from anywhere else writes nothing.
- Introspection that could reach the hook's tags (gc walks, other threads' frames, trace/profile hooks, raw
  memory reads) makes the hook forget its tags first, so later markers are simply not written.
"""

import ast
import sys

MARK_COL = 1_000_000  # column offset of injected nodes: no real source line is this long
EVENT = "mlerl.site"
REVOKING = frozenset((
    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames", "sys.settrace",
    "sys.setprofile", "ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata", "sys.monitoring.register_callback",
))


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


def install_hook(codes, sites, tags):
    """The audit hook that writes markers. Its tags live only in this closure."""
    import os
    import re as _re

    expected = {}  # id(code) -> {code-unit index: site k}
    keep = list(codes)  # keeps ids stable for the life of the process
    for c in keep:
        positions = list(c.co_positions()) if hasattr(c, "co_positions") else []
        units = {i: p[2] - MARK_COL for i, p in enumerate(positions) if p[2] is not None and p[2] >= MARK_COL}
        expected[id(c)] = units
    lines = {}
    for k, s in enumerate(sites):
        tag = tags.get(s["kind"])
        if tag:
            lines[k] = (s["kind"], f"@@mlerl {tag} {s['kind']}")
    state = {"lines": lines, "done": set(), "busy": False}
    mem = _re.compile(r"^/proc/[^/]+/(mem|map_files)|^/dev/k?mem$")
    getframe = sys._getframe
    write = os.write
    # Everything the hook uses is bound here: the launcher's module globals are the program's __main__ and
    # are cleared before the program starts.
    event_name, revoking, str_type = EVENT, REVOKING, str
    interesting = REVOKING | {EVENT, "open"}

    def hook(event, args):
        # Called for every audit event of the process (tens of thousands for an ML program): keep the
        # common path to one set lookup.
        if event not in interesting or state["busy"]:
            return
        try:
            if event == event_name:
                state["busy"] = True
                try:
                    emit(args)
                finally:
                    state["busy"] = False
            elif event in revoking or (event == "open" and args and type(args[0]) is str_type and mem.search(args[0])):
                state["lines"] = {}
        except BaseException:
            pass

    def emit(args):
        if not args or type(args[0]) is not int:
            return
        k = args[0]
        frame = getframe(2)  # 0: emit, 1: hook, 2: the frame that called sys.audit
        code = frame.f_code
        units = expected.get(id(code))
        if units is None or units.get(frame.f_lasti // 2) != k:
            return
        entry = state["lines"].get(k)
        if entry is None:
            return
        kind, text = entry
        if len(args) > 1:
            v = args[1]
            if type(v) is not float:
                return
            text = f"{text} {v!r}"
        elif kind in state["done"]:
            return  # one marker per milestone
        state["done"].add(kind)
        try:
            write(1, (text + "\n").encode())
        except OSError:
            pass  # stdout closed or broken: the program's own behaviour must not change

    sys.addaudithook(hook)


def launch():
    import os
    import importlib.util

    _sys, _exit = sys, SystemExit

    raw = b""
    while True:
        chunk = os.read(0, 1 << 16)
        if not chunk:
            break
        raw += chunk
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    import json

    plan = json.loads(raw.decode("utf-8")) if raw.strip() else {"sites": [], "tags": {}}
    del raw
    path = sys.argv[1]
    abspath = os.path.abspath(path)
    with open(path, "rb") as f:
        source = f.read()
    sites = plan.get("sites", [])
    tags = plan.get("tags", {})
    del plan
    code = None
    if sites:
        try:
            text = importlib.util.decode_source(source)
            tree, why = build(text, sites, path)
            if tree is not None:
                code = compile(tree, path, "exec", dont_inherit=True)
                install_hook(code_objects(code), sites, tags)
            else:
                sys.stderr.flush()
        except Exception:
            code = None
    del tags
    if code is None:
        try:
            code = compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            # The program's own error, reported as `python program.py` reports it: no traceback frames.
            e.__traceback__ = None
            _sys.excepthook(type(e), e, None)
            raise _exit(1)
    _sys.argv = _sys.argv[1:]
    _sys.path[0] = os.path.dirname(abspath)
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
