"""Find milestone sites in an agent-written Python program.

Reads JSON requests ({"id": ..., "code": "..."}), one per line on stdin, and answers one JSON line each
(a request with "op": "check" and "sites" asks instead whether the launcher would accept those sites):
{"id": ..., "parsed": bool, "note": str|null, "sites": [{"after": N, "indent": "    ", "kind": "...", "value": "name"|null}],
 "tampering": [reason, ...]|null}
("tampering": why the program is outside the plain-ML profile, see plain_profile.py; null if it did not parse.)

A site means: after original line N (1-based; 0 = before the first line), insert one marker line with that
indentation. The caller renders the marker lines; this script only decides where they go, so that the text
is never rewritten here. Kinds: imports, data_loaded, features_built, model_defined, model_trained,
predictions_made, submission_written, metric (value = a variable holding the metric) and metric_printed
(a print of a metric; the value is read from the printed line).

Stdlib only, so it runs with any Python 3.9+.
"""

import ast
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's directory off sys.path
import plain_profile  # noqa: E402

DATA_READERS = {
    "read_csv", "read_parquet", "read_json", "read_feather", "read_table", "read_excel", "read_pickle",
    "read_hdf", "read_fwf", "read_orc", "read_sql", "loadtxt", "genfromtxt", "fromfile", "load_svmlight_file",
    "imread", "load_dataset", "read_text", "read_bytes", "load_files",
}
LOAD_MODULES = {"np", "numpy", "json", "pickle", "joblib", "torch", "yaml", "scipy", "sparse"}
FEATURE_CALLS = {
    "fit_transform", "transform", "get_dummies", "factorize", "fillna", "one_hot", "hstack", "vstack",
    "column_stack", "concat", "merge", "cut", "qcut", "interpolate", "clip", "map",
}
PREPROCESSORS = re.compile(
    r"(Scaler|Encoder|Vectorizer|Imputer|Transformer|Binarizer|Normalizer|Discretizer|PolynomialFeatures|"
    r"^PCA$|^TruncatedSVD$|^NMF$|^SelectKBest$|^VarianceThreshold$|^FeatureHasher$|^LatentDirichletAllocation$|"
    r"^KBinsDiscretizer$|^SplineTransformer$|^QuantileTransformer$|^PowerTransformer$|^FunctionTransformer$)"
)
MODELS = re.compile(
    r"(Classifier|Regressor|Regression|Classification|Booster|Ensemble|Estimator|Model|NB|"
    r"^SVC$|^SVR$|^NuSVC$|^NuSVR$|^LinearSVC$|^LinearSVR$|^Ridge|^Lasso|^ElasticNet|^Lars|^KNeighbors|"
    r"^Pipeline$|^make_pipeline$|^GridSearchCV$|^RandomizedSearchCV$|^HalvingGridSearchCV$|^KMeans$|"
    r"^IsolationForest$|^Perceptron$|^CatBoost|^LGBM|^XGB|^Sequential$)"
)
TRAIN_MODULES = {"lgb", "lightgbm", "xgb", "xgboost", "catboost"}
TRAIN_ATTRS = {"fit", "partial_fit", "fit_predict"}
TRAIN_FUNCS = {"cross_val_score", "cross_validate", "cross_val_predict"}
PREDICT_ATTRS = {"predict", "predict_proba", "predict_log_proba", "decision_function", "fit_predict", "inplace_predict"}
PREDICT_FUNCS = {"cross_val_predict"}
WRITERS = {"to_csv", "savetxt", "to_parquet", "to_json", "write", "writerow", "writerows", "dump", "save"}
METRICS = re.compile(
    r"^(roc_auc_score|accuracy_score|balanced_accuracy_score|log_loss|mean_squared_error|mean_absolute_error|"
    r"root_mean_squared_error|mean_squared_log_error|root_mean_squared_log_error|median_absolute_error|"
    r"f1_score|fbeta_score|r2_score|precision_score|recall_score|cohen_kappa_score|matthews_corrcoef|"
    r"average_precision_score|jaccard_score|hamming_loss|brier_score_loss|explained_variance_score|"
    r"mean_absolute_percentage_error|cross_val_score|pearsonr|spearmanr|"
    r".*(rmsle|rmse|jaccard|qwk|kappa|auc|logloss|log_loss|metric).*)$",
    re.IGNORECASE,
)
METRIC_WORDS = re.compile(
    r"(auc|acc|accuracy|logloss|log loss|log_loss|rmse|rmsle|mse|mae|f1|kappa|qwk|jaccard|r2|valid|val\b|cv\b|"
    r"score|loss|metric)",
    re.IGNORECASE,
)
ORDER = ["imports", "data_loaded", "features_built", "model_defined", "model_trained", "predictions_made",
         "submission_written", "metric", "metric_printed"]


def callee(call):
    """(receiver name or None, final name) of a call's function."""
    f = call.func
    if isinstance(f, ast.Name):
        return None, f.id
    if isinstance(f, ast.Attribute):
        recv = f.value
        while isinstance(recv, ast.Attribute):
            recv = recv.value
        if isinstance(recv, ast.Call):
            return "<call>", f.attr
        return (recv.id if isinstance(recv, ast.Name) else None), f.attr
    return None, None


HEADER_FIELDS = {
    "If": ("test",), "While": ("test",), "For": ("target", "iter"), "AsyncFor": ("target", "iter"),
    "With": ("items",), "AsyncWith": ("items",), "Try": (), "TryStar": (), "Match": ("subject",),
    "FunctionDef": (), "AsyncFunctionDef": (), "ClassDef": (),
}


def own_nodes(stmt):
    """Nodes this statement evaluates itself: a compound statement's header only, never nested bodies or lambdas."""
    fields = HEADER_FIELDS.get(type(stmt).__name__)
    roots = [stmt] if fields is None else [getattr(stmt, f) for f in fields]
    stack = []
    for r in roots:
        stack.extend(r if isinstance(r, list) else [r])
    while stack:
        n = stack.pop()
        if n is None:
            continue
        yield n
        for child in ast.iter_child_nodes(n):
            if not isinstance(child, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append(child)


def is_pathish(value):
    """An expression that builds a string or path: a literal, an f-string, `+`/`/`, os.path.join, Path(...)."""
    if isinstance(value, (ast.Constant, ast.JoinedStr, ast.BinOp)):
        return True
    if isinstance(value, ast.Call):
        _, name = callee(value)
        return name in ("join", "Path", "PurePath", "format", "abspath", "expanduser")
    return False


def strings_in(node, bindings, depth=0):
    """String literals in an expression, following names bound to path-like expressions (two levels)."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.append(n.value)
        elif isinstance(n, ast.Name) and depth < 2 and n.id in bindings:
            for b in bindings[n.id]:
                if is_pathish(b):
                    out.extend(strings_in(b, bindings, depth + 1))
    return out


class Analyzer:
    def __init__(self, tree):
        # One traversal collects everything the passes below need (walking the tree is the expensive part).
        self.returns = {}
        self.bindings = {}  # name -> value expressions assigned to it anywhere (paths, estimator kinds)
        self.metric_names = set()
        returns_by_func = {}  # function name -> its `return <expr>` statements (not those of nested functions)
        candidates = []  # (name, value) pairs that could make `name` hold a metric
        # own[id(stmt)]: the nodes a statement evaluates itself (see HEADER_FIELDS), collected here so that no
        # statement is walked twice.
        self.own = {}
        stack = [(tree, None, None)]
        while stack:
            n, func, owner = stack.pop()
            if isinstance(n, ast.stmt):
                owner = n
                self.own[id(n)] = []
            if owner is not None:
                self.own[id(owner)].append(n)
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    for name in ast.walk(t):
                        if isinstance(name, ast.Name):
                            self.bindings.setdefault(name.id, []).append(n.value)
                if len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    candidates.append((n.targets[0].id, n.value))
            elif isinstance(n, (ast.AnnAssign, ast.AugAssign)) and isinstance(n.target, ast.Name) and n.value is not None:
                self.bindings.setdefault(n.target.id, []).append(n.value)
                candidates.append((n.target.id, n.value))
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "append"
                  and isinstance(n.func.value, ast.Name) and n.args):
                candidates.append((n.func.value.id, n.args[0]))
            elif isinstance(n, ast.Return) and n.value is not None and func is not None:
                returns_by_func.setdefault(func, []).append(n)
            inner = n.name if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            header = HEADER_FIELDS.get(type(n).__name__) if isinstance(n, ast.stmt) else None
            child_owner = None if isinstance(n, ast.Lambda) else owner
            for field in n._fields:
                v = getattr(n, field, None)
                o = child_owner if header is None or field in header else None
                if isinstance(v, list):
                    for child in v:
                        if isinstance(child, ast.AST):
                            stack.append((child, inner, o))
                elif isinstance(v, ast.AST):
                    stack.append((v, inner, o))
        # What the program's own functions complete in `return <expr>`: a site after a return never runs, so
        # the statement calling the function gets those milestones. Two rounds: a function may return another's
        # result.
        for _ in range(2):
            for func, rets in returns_by_func.items():
                kinds = set()
                for r in rets:
                    kinds |= self.kinds(r)
                if kinds:
                    self.returns[func] = kinds
        # Names that hold metric values: assigned from a metric call, or lists a metric is appended to.
        changed = True
        while changed:
            changed = False
            for target, value in candidates:
                if target not in self.metric_names and self.mentions_metric(value):
                    self.metric_names.add(target)
                    changed = True

    def is_metric_call(self, call):
        recv, name = callee(call)
        if name is None:
            return False
        if name == "score" and recv not in (None,) and call.args:
            return True  # estimator.score(X_val, y_val)
        return bool(METRICS.match(name)) and not name.startswith(("make_", "get_"))

    def mentions_metric(self, expr):
        for n in ast.walk(expr):
            if isinstance(n, ast.Call) and self.is_metric_call(n):
                return True
            if isinstance(n, ast.Name) and n.id in self.metric_names:
                return True
        return False

    def kind_of_name(self, name):
        for v in self.bindings.get(name, []):
            if isinstance(v, ast.Call):
                _, c = callee(v)
                if c and PREPROCESSORS.search(c):
                    return "prep"
                if c and MODELS.search(c):
                    return "model"
        return None

    def mentions(self, node, needle):
        return any(needle in s.lower() for s in strings_in(node, self.bindings))

    def kinds(self, stmt):
        """Milestone kinds this statement completes when it finishes without raising."""
        found = set()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
                found.add("imports")
            return found
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return found
        for n in self.own.get(id(stmt)) or own_nodes(stmt):
            if isinstance(n, ast.Call):
                recv, name = callee(n)
                if name is None:
                    continue
                if name in self.returns and recv in (None, "self", "cls"):
                    found |= self.returns[name]
                if name in DATA_READERS or (name == "load" and recv in LOAD_MODULES) or (name == "open" and recv in ("Image", "PIL")):
                    found.add("data_loaded")
                if name == "open" and recv is None and not self.writes(n):
                    if any(re.search(r"(/home/data|data|input|\.csv|\.json|\.tsv|\.txt|\.npy)", s, re.IGNORECASE) for s in strings_in(n, self.bindings)):
                        found.add("data_loaded")
                if name in FEATURE_CALLS and recv is not None:
                    found.add("features_built")
                if PREPROCESSORS.search(name) and name[:1].isupper():
                    found.add("features_built")
                if MODELS.search(name) and (name[:1].isupper() or name == "make_pipeline"):
                    if not PREPROCESSORS.search(name):
                        found.add("model_defined")
                if name in TRAIN_ATTRS and recv is not None:
                    if recv != "<call>" and self.kind_of_name(recv) == "prep":
                        found.add("features_built")
                    else:
                        found.add("model_trained")
                        if recv == "<call>":
                            found.add("model_defined")
                if name == "train" and recv in TRAIN_MODULES:
                    found.update(("model_defined", "model_trained"))
                if name in TRAIN_FUNCS:
                    found.add("model_trained")
                if name in ("step",) and recv and "opt" in recv.lower():
                    found.add("model_trained")
                if (name in PREDICT_ATTRS and recv is not None) or name in PREDICT_FUNCS:
                    found.add("predictions_made")
                if name in WRITERS and self.is_submission_write(n, recv):
                    found.add("submission_written")
                if name == "open" and recv is None and self.writes(n) and self.mentions(n, "submission"):
                    found.add("submission_written")
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for t in targets:
                if isinstance(t, ast.Subscript) and self.is_column_key(t.slice):
                    found.add("features_built")  # df["new_col"] = ..., df[col + "_sq"] = ...
                if isinstance(t, ast.Name) and re.match(r"^(x|X)(_|$)|feat", t.id) and not isinstance(stmt.value, ast.Constant):
                    found.add("features_built")
        return found

    def is_column_key(self, key):
        """A column name (a string, or an expression building one), not a row index like oof[val_idx]."""
        if isinstance(key, (ast.List, ast.Tuple)):
            return any(self.is_column_key(e) for e in key.elts)
        return any(isinstance(n, (ast.Constant, ast.JoinedStr)) and isinstance(getattr(n, "value", ""), str)
                   for n in ast.walk(key))

    def writes(self, call):
        mode = None
        if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
            mode = call.args[1].value
        for k in call.keywords:
            if k.arg == "mode" and isinstance(k.value, ast.Constant):
                mode = k.value.value
        return isinstance(mode, str) and any(c in mode for c in "wax+")

    def is_submission_write(self, call, recv):
        if self.mentions(call, "submission"):
            return True
        if recv and recv != "<call>" and re.search(r"sub", recv, re.IGNORECASE) and call.func.attr == "to_csv":
            return True
        return False

    def metric_value(self, stmt):
        """Name to capture as the validation metric after this statement, if it assigns one."""
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target, value = stmt.targets[0].id, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            target, value = stmt.target.id, stmt.value
        else:
            return None
        for n in self.own.get(id(stmt)) or ast.walk(value):
            if isinstance(n, ast.Call) and self.is_metric_call(n):
                return target
            if isinstance(n, ast.Name) and n.id in self.metric_names and n.id != target:
                return target
        return None

    def is_metric_print(self, stmt):
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            return False
        call = stmt.value
        if not (isinstance(call.func, ast.Name) and call.func.id == "print"):
            return False
        for k in call.keywords:
            if k.arg == "file":
                v = k.value
                if not (isinstance(v, ast.Attribute) and v.attr == "stdout"):
                    return False
        dynamic = [a for a in call.args if not isinstance(a, ast.Constant)]
        if not dynamic:
            return False
        if any(self.mentions_metric(a) for a in call.args):
            return True
        words = " ".join(s for s in strings_in(call, {}) if isinstance(s, str))
        return bool(METRIC_WORDS.search(words))


BODY_FIELDS = ("body", "orelse", "finalbody")


def find_sites(source, tree=None):
    tree = tree if tree is not None else ast.parse(source)
    lines = source.split("\n")  # the tokenizer's lines (splitlines would also split at form feeds)
    an = Analyzer(tree)
    sites = []

    def indent_of(stmt):
        line = lines[stmt.lineno - 1]
        return line[: len(line) - len(line.lstrip(" \t\f"))].replace("\f", "")

    def end_line(block, i):
        """The line after which a marker for block[i] can go: the end of the last statement sharing its last line."""
        end = block[i].end_lineno
        j = i + 1
        while j < len(block) and block[j].lineno == end:
            end = block[j].end_lineno
            j += 1
        return end

    def visit_block(block, insertable):
        seen = set()
        i = 0
        while i < len(block):
            stmt = block[i]
            for child in children(stmt):
                visit_block(*child)
            if insertable:
                kinds = an.kinds(stmt)
                if "imports" in kinds and i + 1 < len(block) and isinstance(block[i + 1], (ast.Import, ast.ImportFrom)):
                    kinds.discard("imports")  # one site after a run of imports: all of them succeeded
                if isinstance(stmt, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
                    kinds = set()  # nothing after these runs
                compound = isinstance(stmt, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)) or type(stmt).__name__ in ("Match", "TryStar")
                if compound and not isinstance(stmt, (ast.With, ast.AsyncWith)):
                    kinds = set()  # loop/if headers: their bodies carry their own sites
                value = an.metric_value(stmt)
                metric_print = an.is_metric_print(stmt)
                after = end_line(block, i)
                ind = indent_of(block[0])
                for k in ORDER:
                    if k in ("metric", "metric_printed"):
                        continue
                    if k in kinds and k not in seen:
                        sites.append({"after": after, "indent": ind, "kind": k, "value": None})
                        seen.add(k)
                if value:
                    sites.append({"after": after, "indent": ind, "kind": "metric", "value": value})
                elif metric_print:
                    sites.append({"after": after, "indent": ind, "kind": "metric_printed", "value": None})
            i += 1

    def children(stmt):
        out = []
        for field in BODY_FIELDS:
            block = getattr(stmt, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                out.append((block, own_lines(stmt, block)))
        for h in getattr(stmt, "handlers", []) or []:
            out.append((h.body, own_lines(h, h.body)))
        for c in getattr(stmt, "cases", []) or []:
            out.append((c.body, own_lines(c, c.body)))
        return out

    def own_lines(parent, block):
        # A block can take inserted lines only if it starts on its own line, deeper than its header
        # (so not `if x: fit()` and not the `elif` chain kept in `orelse`).
        first = block[0]
        header_line = getattr(parent, "lineno", 0)
        header_col = getattr(parent, "col_offset", -1)
        if isinstance(parent, ast.ExceptHandler):
            header_col = parent.col_offset
        return first.lineno > header_line and first.col_offset > header_col

    visit_block(tree.body, True)
    sites.sort(key=lambda s: s["after"])  # stable: keeps ORDER within one line
    return sites


def profile(tree):
    """The plain-ML profile's reasons; a failure of the check itself counts against the program (fail closed)."""
    try:
        return plain_profile.check(tree)
    except Exception as e:  # noqa: BLE001
        return [f"the plain-ML profile check failed ({type(e).__name__}: {e})"]


def check(req):
    """Would the launcher accept these sites? (They must be whole statements and change nothing else.)"""
    import bootstrap

    code = req.get("code", "")
    tree, why = bootstrap.build(code, req.get("sites", []), "<program>")
    try:
        tampering = profile(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tampering = None
    return {"ok": tree is not None, "note": why, "tampering": tampering}


def answer(req):
    if req.get("op") == "check":
        return check(req)
    code = req.get("code", "")
    lone_cr = re.search(r"\r(?!\n)", code)
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        note = "lone carriage-return line endings are not supported" if lone_cr else f"SyntaxError at line {e.lineno}: {e.msg}"
        return {"parsed": False, "note": f"{note}; returned unchanged", "sites": [], "tampering": None}
    except (ValueError, RecursionError, MemoryError) as e:
        return {"parsed": False, "note": f"{type(e).__name__}: {e}; returned unchanged", "sites": [], "tampering": None}
    tampering = profile(tree)
    if lone_cr:
        return {"parsed": False, "note": "lone carriage-return line endings are not supported; returned unchanged", "sites": [],
                "tampering": tampering}
    try:
        sites = find_sites(code, tree)
    except (ValueError, RecursionError, MemoryError) as e:
        return {"parsed": False, "note": f"{type(e).__name__}: {e}; returned unchanged", "sites": [], "tampering": tampering}
    except Exception as e:  # a bug here must not cost the program its run: no markers, program unchanged
        return {"parsed": True, "note": f"instrumenter error {type(e).__name__}: {e}; returned unchanged", "sites": [],
                "tampering": tampering}
    return {"parsed": True, "note": None, "sites": sites, "tampering": tampering}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        out = answer(req)
        out["id"] = req.get("id")
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
