/**
 * The plain-ML profile (python/instrument/plain_profile.py), checked by the AST instrumenter before a program runs:
 * honest programs are inside it (the reference solutions and hundreds of built-in-policy programs, so no false
 * positive costs a program its partial credit), and each capability it refuses is refused with a reason.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { CheckedInstrumenter } from "../../src/instrument/fallback.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { markerStatement } from "../../src/instrument/text.js";
import type { InstrumentResult, Instrumenter } from "../../src/instrument/types.js";
import { FragmentPolicy, FragmentSampler } from "../../src/policy/fragment-policy.js";
import { repoRoot } from "../../src/paths.js";
import { BUILTIN_TASK_IDS, prepareTasks, requirePrepared } from "../../src/tasks/registry.js";

const inst = new AstInstrumenter();
const dataDir = mkdtempSync(join(tmpdir(), "mlerl-profile-"));
after(async () => {
  await inst.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function verdict(code: string): Promise<string[] | null> {
  return (await inst.instrument(code, newNonce())).tampering?.reasons ?? null;
}

test("every reference solution is a plain ML program", async () => {
  const base = join(repoRoot(), "tasks", "reference");
  let n = 0;
  for (const task of readdirSync(base).filter((d) => !d.includes("."))) {
    for (const f of readdirSync(join(base, task)).filter((x) => x.endsWith(".py"))) {
      assert.equal(await verdict(readFileSync(join(base, task, f), "utf8")), null, `${task}/${f}`);
      n++;
    }
  }
  assert.ok(n >= 18, `all reference solutions checked (${n})`);
});

test("at least 200 built-in-policy programs, sampled freely and under the grammar mask, are plain ML programs", async () => {
  await prepareTasks([...BUILTIN_TASK_IDS], dataDir, () => {});
  let n = 0;
  for (const mode of ["free", "masked"] as const) {
    const policy = await FragmentPolicy.create({ seed: 3, priorMode: mode === "masked" ? "mask" : "soft" });
    try {
      for (const [i, id] of BUILTIN_TASK_IDS.entries()) {
        const { spec } = requirePrepared(id, dataDir);
        const samples = await new FragmentSampler(policy).sample(
          Array.from({ length: 20 }, () => ({ task: spec, kind: "scratch" as const })),
          { seed: 7 + i },
        );
        for (const s of samples) {
          assert.equal(await verdict(s.text), null, `${mode} ${id}:\n${s.text}`);
          n++;
        }
      }
    } finally {
      policy.dispose();
    }
  }
  assert.ok(n >= 200, `${n} programs`);
});

test("ordinary ML code that uses reflection-shaped APIs safely stays inside the profile", async () => {
  const code = `import os, sys, time, json, logging, warnings, random
from dataclasses import dataclass
from collections import Counter
from pathlib import Path
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.linear_model import LogisticRegression
import lightgbm as lgb
import xgboost as xgb
from scipy import signal
warnings.filterwarnings("ignore")
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
DATA = Path(os.environ.get("DATA_DIR", "/home/data"))
train = pd.read_csv(os.path.join(str(DATA), "train.csv")).query("a > 1 and \`b c\` < 2")
@dataclass
class Cfg:
    lr: float = 0.1
class Model:
    def __init__(self, **kw):
        self._kw = kw
        super().__init__()
    def _fit(self):
        return self._kw
    def __repr__(self):
        return f"{type(self).__name__}({self._fit()})"
PARAMS = {"n_estimators": 100, "learning_rate": 0.05}
PARAMS["num_leaves"] = 31
grid = GridSearchCV(LogisticRegression(), {"C": [1, 10]})
clf = LogisticRegression().set_params(**grid.get_params())
booster = lgb.LGBMRegressor(**PARAMS, verbose=-1)
print(getattr(booster, "feature_importances_", None), hasattr(train, "iloc"), sys.version_info >= (3, 8))
dtrain = xgb.DMatrix(train.to_numpy())
print(xgb.train({"eta": 0.1}, dtrain).eval(dtrain), signal.butter(3, 0.1), Counter("abc"), Model(a=1))
print(np.lib.stride_tricks.sliding_window_view(np.arange(5), 2), time.time(), random.random(), Cfg())
with open(os.path.join("/home/submission", "submission.json"), "w") as f:
    json.dump({"x": 1}, f)
if __name__ == "__main__":
    sys.stdout.flush()
`;
  assert.deepEqual(await verdict(code), null);
});

/** Each refused capability, the smallest program that uses it, and what its reason must say. */
const REFUSED: Array<[string, string, RegExp]> = [
  ["raw memory: ctypes", "import ctypes\n", /imports ctypes/],
  ["raw memory: a library's ctypes", "import lightgbm as lgb\nlgb.basic.ctypes.string_at(1, 8)\n", /lightgbm\.basic/],
  ["raw memory: a ctypes handle", "import xgboost as xgb\nb = xgb.Booster()\nprint(type(b.handle).from_address(8))\n", /from_address/],
  ["raw memory: numpy's array interface", "class A:\n    __array_interface__ = {}\n", /__array_interface__/],
  ["raw memory: as_strided", "import numpy as np\nnp.lib.stride_tricks.as_strided(np.zeros(1), (9,))\n", /as_strided/],
  ["raw memory: ctypeslib", "from numpy import ctypeslib\n", /ctypeslib/],
  ["raw memory: a catch-all __getattr__", "class A:\n    def __getattr__(self, name):\n        return 1\n", /__getattr__/],
  ["raw memory: fromfile on an unknown path", "import numpy as np\np = input()\nnp.fromfile(p)\n", /fromfile/],
  ["raw memory: /proc", 'open(b"/proc/self/mem", "rb")\n', /\/proc\/self\/mem/],
  ["raw memory: /proc pieced together", 'open("/pr" + "oc/self/" + "mem", "rb")\n', /\/proc\/self\/mem/],
  ["introspection: gc", "import gc\n", /imports gc/],
  ["introspection: frames", "import sys\nf = sys._getframe()\n", /_getframe/],
  [
    "introspection: traceback frames",
    "try:\n    1 / 0\nexcept Exception as e:\n    print(e.__traceback__.tb_frame)\n",
    /__traceback__|tb_frame/,
  ],
  ["introspection: inspect", "import inspect\n", /imports inspect/],
  ["introspection: sys.modules", "import sys\nm = sys.modules\n", /sys\.modules/],
  ["introspection: private library attributes", "import pandas as pd\npd.DataFrame()._mgr\n", /private attribute _mgr/],
  ["tracing: settrace", "import sys\nsys.settrace(None)\n", /settrace/],
  ["signals", "import signal\n", /imports signal/],
  ["audit internals", "import sys\nsys.addaudithook(print)\n", /addaudithook/],
  ["processes: subprocess", "import subprocess\n", /imports subprocess/],
  ["processes: os.fork", "import os\nos.fork()\n", /os\.fork/],
  ["processes: a forking joblib back end", 'from joblib import Parallel\nParallel(backend="multiprocessing")\n', /forking/],
  ["processes: multiprocessing", "import multiprocessing\n", /imports multiprocessing/],
  ["dynamic code: eval", "eval('1')\n", /eval/],
  ["dynamic code: exec", "exec('x = 1')\n", /exec/],
  ["dynamic code: compile", "compile('1', 'f', 'eval')\n", /compile/],
  ["dynamic code: __import__", "m = __import__('o' + 's')\n", /__import__/],
  ["dynamic code: importlib", "import importlib\n", /imports importlib/],
  ["dynamic code: getattr by computed name", "import numpy as np\nk = 'me' + 'an'\ngetattr(np, k)\n", /computed attribute name/],
  ["dynamic code: getattr passed around", "f = getattr\n", /passes getattr around/],
  ["dynamic code: globals()", "g = globals()\n", /namespace/],
  ["dynamic code: a module as a value", "import os\nmods = [os]\n", /module os as a value/],
  ["dynamic code: pickle loads", "import pickle\npickle.loads(b'.')\n", /pickle\.loads/],
  ["dynamic code: np.load with pickles", "import numpy as np\nnp.load('x.npy', allow_pickle=True)\n", /allow_pickle/],
  ["dynamic code: joblib.load", "import joblib\njoblib.load('m.pkl')\n", /joblib\.load/],
  ["dynamic code: a computed query", "import pandas as pd\nq = input()\npd.DataFrame().query(q)\n", /computed expression/],
  ["dynamic code: a literal query that reaches gc", "import pandas as pd\npd.DataFrame().query('@gc.get_objects()')\n", /query string/],
  ["dynamic code: type() with a namespace", "C = type('C', (), {})\n", /type\(name, bases, namespace\)/],
  ["dynamic code: computed keyword names", "import lightgbm as lgb\nk = input()\nlgb.LGBMClassifier(**{k: 1})\n", /computed/],
  ["dynamic code: import *", "from os import *\n", /import/],
  ["fd games: os.dup2", "import os\nos.dup2(3, 1)\n", /os\.dup2/],
  ["imports: a package outside the profile", "import torch\n", /imports torch/],
  ["monkeypatching a library", "import numpy as np\nnp.asarray = list\n", /patches a library module/],
];

for (const [what, code, reason] of REFUSED) {
  test(`refused: ${what}`, async () => {
    const reasons = await verdict(code);
    assert.ok(reasons, `${what} is outside the profile`);
    assert.ok(
      reasons.some((r) => reason.test(r)),
      `a reason matches ${reason}: ${JSON.stringify(reasons)}`,
    );
    assert.ok(
      reasons.every((r) => /^(line \d+: |and \d+ more$)/.test(r)),
      "every reason names its line",
    );
  });
}

test("the verdict is deterministic and does not depend on the nonce", async () => {
  const code = "import ctypes, gc\nx = eval('1')\n";
  const a = await inst.instrument(code, newNonce());
  const b = await inst.instrument(code, newNonce());
  assert.deepEqual(a.tampering, b.tampering);
  assert.equal(a.tampering?.reasons.length, 3, "ctypes, gc and eval");
});

test("an LM instrumenter's output is judged by the AST profile, not by what the LM claims", async () => {
  const lm: Instrumenter = {
    name: "lm",
    async instrument(c: string, nonce: string): Promise<InstrumentResult> {
      return { code: `${c}${markerStatement("imports", null, nonce)}\n`, sites: [], milestones: [], parsed: true, tampering: null };
    },
  };
  const r = await new CheckedInstrumenter(lm, inst).instrument("import ctypes\n", newNonce());
  assert.equal(r.sites.length, 1, "the LM output was accepted");
  assert.match(r.tampering?.reasons[0] ?? "", /imports ctypes/);
});
