import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { onlyPrintsAdded, markerStatement } from "../../src/instrument/text.js";
import { requireAgentPython } from "../../src/runtime/venv.js";
import type { MarkerKind } from "../../src/instrument/types.js";

const inst = new AstInstrumenter();
after(() => inst.close());

/** The instrumented text must itself be valid Python (checked by the real interpreter). */
function compiles(code: string): boolean {
  const r = spawnSync(requireAgentPython().python, ["-c", "import sys; compile(sys.stdin.read(), 'p', 'exec')"], { input: code });
  return r.status === 0;
}

/** Which kinds end up on the line right after the original line containing `anchor`, with what indent. */
function markersAfter(instrumented: string, nonce: string, anchor: string): Array<{ kind: MarkerKind; indent: string }> {
  const lines = instrumented.split("\n");
  const re = new RegExp(`^([ \\t]*)print\\("@@mlerl:${nonce} ([a-z_]+)"`);
  let i = lines.findIndex((l) => l.includes(anchor) && !re.test(l));
  assert.ok(i >= 0, `anchor ${anchor} not found`);
  const out: Array<{ kind: MarkerKind; indent: string }> = [];
  while (++i < lines.length) {
    const m = re.exec(lines[i]!);
    if (!m) break;
    out.push({ kind: m[2] as MarkerKind, indent: m[1]! });
  }
  return out;
}

async function check(code: string) {
  const nonce = newNonce();
  const r = await inst.instrument(code, nonce);
  assert.ok(r.parsed, r.note);
  assert.ok(onlyPrintsAdded(code, r.code, nonce), "only marker lines added");
  assert.ok(compiles(r.code), `instrumented code compiles:\n${r.code}`);
  const accepted = await inst.accept(code, r.code, nonce);
  assert.ok(accepted.ok, accepted.ok ? "" : accepted.reason);
  return { ...r, nonce, after: (anchor: string) => markersAfter(r.code, nonce, anchor).map((m) => `${m.indent.length}:${m.kind}`) };
}

test("a straight-line solution gets every milestone after the statement that completes it", async () => {
  const code = [
    "import numpy as np",
    "import pandas as pd",
    "from sklearn.linear_model import LogisticRegression",
    "from sklearn.metrics import roc_auc_score",
    "train = pd.read_csv('/home/data/train.csv')",
    "test = pd.read_csv('/home/data/test.csv')",
    "train['f_sum'] = train.f_a + train.f_b",
    "model = LogisticRegression(C=0.5)",
    "model.fit(train[['f_a', 'f_sum']], train.target)",
    "p = model.predict_proba(train[['f_a', 'f_sum']])[:, 1]",
    "auc = roc_auc_score(train.target, p)",
    "print(f'validation AUC {auc:.4f}')",
    "pd.DataFrame({'id': test.id, 'target': 0.5}).to_csv('/home/submission/submission.csv', index=False)",
    "",
  ].join("\n");
  const r = await check(code);
  assert.deepEqual(r.after("from sklearn.metrics"), ["0:imports"]);
  assert.deepEqual(r.after("import numpy"), [], "one site after the whole run of imports");
  assert.deepEqual(r.after("train = pd.read_csv"), ["0:data_loaded"]);
  assert.deepEqual(r.after("test = pd.read_csv"), [], "one site per milestone per block");
  assert.deepEqual(r.after("train['f_sum']"), ["0:features_built"]);
  assert.deepEqual(r.after("LogisticRegression(C"), ["0:model_defined"]);
  assert.deepEqual(r.after("model.fit"), ["0:model_trained"]);
  assert.deepEqual(r.after("p = model.predict_proba"), ["0:predictions_made"]);
  assert.deepEqual(r.after("auc = roc_auc_score"), ["0:metric"]);
  assert.ok(r.code.includes(markerStatement("metric", "auc", r.nonce)), "the metric marker carries the variable");
  assert.deepEqual(r.after("print(f'validation"), ["0:metric_printed"]);
  assert.deepEqual(r.after("to_csv('/home/submission"), ["0:submission_written"]);
  assert.deepEqual(r.milestones, [
    "imports",
    "data_loaded",
    "features_built",
    "model_defined",
    "model_trained",
    "predictions_made",
    "submission_written",
    "validation_metric",
  ]);
});

test("sites inside functions, loops, main blocks, try/except, with bodies and elif chains", async () => {
  const code = `import lightgbm as lgb
import pandas as pd


def load(path):
    with open(path) as f:
        header = f.readline()
    return pd.read_csv(path)


@staticmethod
def build(df):
    for col in ["a", "b"]:
        df[col + "_sq"] = df[col] ** 2
    return df


class Trainer:
    def run(self, X, y, kind):
        if kind == "lgb":
            params = {"objective": "binary"}
            self.booster = lgb.train(params, lgb.Dataset(X, y), 10)
        elif kind == "none":
            pass
        else:
            try:
                self.m = lgb.LGBMClassifier(n_estimators=5)
                self.m.fit(X, y)
            except ValueError as e:
                print("failed", e)
            finally:
                pass
        return self


if __name__ == "__main__":
    df = build(load("/home/data/train.csv"))
    t = Trainer().run(df, df.target, "lgb")
    while False:
        preds = t.booster.predict(df)
`;
  const r = await check(code);
  assert.deepEqual(r.after("with open(path) as f:"), []);
  assert.deepEqual(r.after("header = f.readline()"), [], "readline is not a recognised loader");
  assert.deepEqual(r.after("return pd.read_csv(path)"), [], "nothing after a return runs");
  assert.deepEqual(r.after('df[col + "_sq"]'), ["8:features_built"]);
  assert.deepEqual(r.after("self.booster = lgb.train"), ["12:model_defined", "12:model_trained"]);
  assert.deepEqual(r.after("self.m = lgb.LGBMClassifier"), ["16:model_defined"]);
  assert.deepEqual(r.after("self.m.fit(X, y)"), ["16:model_trained"]);
  assert.deepEqual(r.after("elif kind"), [], "no line between an elif header and its body");
  assert.deepEqual(r.after("preds = t.booster.predict"), ["8:predictions_made"]);
  assert.deepEqual(r.after("df = build(load("), ["4:data_loaded"], "load() returns loaded data, so its caller completes data_loaded");
  assert.deepEqual(r.after("t = Trainer().run("), [], "run() returns self: nothing completed in a return");
});

test("one-line compound statements, semicolons and multi-line statements", async () => {
  const code = `import pandas as pd; import numpy as np
from sklearn.ensemble import RandomForestRegressor
df = pd.read_csv(
    "/home/data/train.csv",
    index_col=None,
)
m = RandomForestRegressor(
    n_estimators=10)
if len(df) > 0: m.fit(df[["f_a"]], df.f_b)
with open("/home/submission/submission.csv", "w") as f: f.write("id,target\\n")
x = 1; preds = m.predict(df[["f_a"]]); y = 2
s = """
m.fit(a, b)
"""
`;
  const r = await check(code);
  assert.deepEqual(r.after("from sklearn.ensemble"), ["0:imports"]);
  assert.deepEqual(r.after("index_col=None"), [], "never inside a multi-line call");
  assert.deepEqual(r.after(")"), ["0:data_loaded"]);
  assert.deepEqual(r.after("n_estimators=10)"), ["0:model_defined"]);
  assert.deepEqual(
    r.after("if len(df) > 0: m.fit"),
    [],
    "a one-line if body cannot take a line; a site after it would fire when the body did not run",
  );
  assert.deepEqual(r.after('with open("/home/submission'), ["0:submission_written"], "a one-line with: its body always runs");
  assert.deepEqual(r.after("x = 1; preds"), ["0:predictions_made"], "after the whole line of semicolon-joined statements");
  assert.deepEqual(r.after("m.fit(a, b)"), [], "nothing inside a string");
  assert.ok(!r.milestones.includes("model_trained"), "the fit inside a string is not code");
});

test("tabs, a file without final newline, and a docstring and __future__ import first", async () => {
  const code =
    '"""Doc."""\nfrom __future__ import annotations\nimport json\nif True:\n\tcfg = json.load(open("/home/data/cfg.json"))\n\tprint("done", cfg)';
  const r = await check(code);
  assert.deepEqual(r.after("import json"), ["0:imports"]);
  assert.deepEqual(r.after("cfg = json.load"), ["1:data_loaded"]);
  assert.ok(r.code.includes(`\t${markerStatement("data_loaded", null, r.nonce)}`), "tab indentation is reused");
});

test("validation metrics: assignments, cross-validation means, prints of metric names or values", async () => {
  const code = `import numpy as np
from sklearn.model_selection import cross_val_score
from sklearn.metrics import log_loss
scores = []
for fold in range(3):
    scores.append(log_loss([0, 1], [0.2, 0.8]))
cv = cross_val_score(None, None, None).mean()
mean_score = np.mean(scores)
print("CV log loss:", mean_score)
print("rows", 10)
print("done")
`;
  const r = await check(code);
  assert.deepEqual(r.after("cv = cross_val_score"), ["0:model_trained", "0:metric"], "cross-validation trains models");
  assert.deepEqual(r.after("mean_score = np.mean(scores)"), ["0:metric"], "scores holds metric values");
  assert.deepEqual(r.after('print("CV log loss:"'), ["0:metric_printed"]);
  assert.deepEqual(r.after('print("rows", 10)'), [], "no metric word and no metric value");
  assert.deepEqual(r.after('print("done")'), [], "a constant print is not a metric");
  assert.deepEqual(r.after("scores.append"), [], "an append is not an assignment of a metric");
});

test("code that does not parse comes back unchanged with a note", async () => {
  for (const code of ["import numpy as np\ndef f(:\n    pass\n", "x = (1,\n", "print('a')\rprint('b')\n", "\u0000"]) {
    const nonce = newNonce();
    const r = await inst.instrument(code, nonce);
    assert.equal(r.parsed, false);
    assert.equal(r.code, code);
    assert.deepEqual(r.sites, []);
    assert.match(r.note ?? "", /returned unchanged/);
  }
  const r = await inst.instrument("import numpy as np\ndef f(:\n    pass\n", newNonce());
  assert.match(r.note ?? "", /SyntaxError at line 2/);
});

test("the structural check rejects marker lines that are not statements of their own", async () => {
  const nonce = newNonce();
  const code = "x = foo(\n    1,\n)\ns = '''\ntext\n'''\n";
  const m = (indent: string, kind: MarkerKind) => `${indent}${markerStatement(kind, null, nonce)}\n`;
  const insideCall = `x = foo(\n${m("    ", "imports")}    1,\n)\ns = '''\ntext\n'''\n`;
  const insideString = `x = foo(\n    1,\n)\ns = '''\n${m("", "imports")}text\n'''\n`;
  const fine = `x = foo(\n    1,\n)\n${m("", "imports")}s = '''\ntext\n'''\n`;
  for (const [what, text] of [
    ["inside a call", insideCall],
    ["inside a string", insideString],
  ] as const) {
    assert.ok(onlyPrintsAdded(code, text, nonce), `${what}: textually only a line was added`);
    const verdict = await inst.accept(code, text, nonce);
    assert.equal(verdict.ok, false, what);
  }
  assert.ok((await inst.accept(code, fine, nonce)).ok);
});
