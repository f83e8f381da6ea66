// Cost of instrumentation: (1) the AST instrumenter on a realistic 300-line program (median of N, worker warm;
// target < 50 ms), and within one process side by side, how much of it is finding sites and how much the
// plain-ML profile check, (2) the launcher's start-up cost on a trivial program (launched vs plain `python p.py`),
// (3) the audit hook's cost on an import-heavy program (pandas + scikit-learn + lightgbm).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AstInstrumenter } from "../src/instrument/ast.js";
import { launchArgs, launchStdin } from "../src/instrument/launch.js";
import { newNonce } from "../src/instrument/nonce.js";
import { instrumentScript } from "../src/instrument/worker.js";
import { requireAgentPython } from "../src/runtime/venv.js";

const N = Number(process.env.N ?? 30);
const RUNS = Number(process.env.RUNS ?? 7);

function program300(): string {
  const head = `import os
import sys
import time
import json
import numpy as np
import pandas as pd
import lightgbm as lgb
import xgboost as xgb
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler, OneHotEncoder
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

DATA_DIR = "/home/data"
SUB_PATH = os.path.join("/home/submission", "submission.csv")
SEED = 42
N_FOLDS = 5


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def load_data():
    train = pd.read_csv(os.path.join(DATA_DIR, "train.csv"))
    test = pd.read_csv(os.path.join(DATA_DIR, "test.csv"))
    log(f"train {train.shape} test {test.shape}")
    return train, test


def add_features(df):
`;
  const feats: string[] = [];
  for (let i = 0; i < 30; i++) {
    feats.push(`    df["f_${i}_sq"] = df["f_${i % 10}"] ** 2`);
    feats.push(`    df["f_${i}_x"] = df["f_${i % 10}"] * df["f_${(i + 1) % 10}"]`);
    feats.push(`    if "f_${i}" in df.columns:`);
    feats.push(`        df["f_${i}_rank"] = df["f_${i}"].rank(pct=True)`);
  }
  const body = `    return df


def make_model(kind, params):
    if kind == "lgb":
        return lgb.LGBMClassifier(**params)
    elif kind == "xgb":
        return xgb.XGBClassifier(**params)
    else:
        return LogisticRegression(max_iter=500, C=params.get("C", 1.0))


def run_cv(train, test, features, kind, params):
    oof = np.zeros(len(train))
    preds = np.zeros(len(test))
    skf = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    for fold, (tr_idx, va_idx) in enumerate(skf.split(train, train["target"])):
        X_tr, y_tr = train.loc[tr_idx, features], train.loc[tr_idx, "target"]
        X_va, y_va = train.loc[va_idx, features], train.loc[va_idx, "target"]
        if kind == "lr":
            scaler = StandardScaler()
            X_tr = scaler.fit_transform(X_tr)
            X_va = scaler.transform(X_va)
        model = make_model(kind, params)
        model.fit(X_tr, y_tr)
        oof[va_idx] = model.predict_proba(X_va)[:, 1]
        preds += model.predict_proba(test[features] if kind != "lr" else scaler.transform(test[features]))[:, 1] / N_FOLDS
        fold_auc = roc_auc_score(y_va, oof[va_idx])
        log(f"{kind} fold {fold} AUC {fold_auc:.5f}")
    score = roc_auc_score(train["target"], oof)
    print(f"{kind} CV AUC: {score:.5f}")
    return oof, preds, score
`;
  const tail: string[] = [];
  const configs = ["lgb", "xgb", "lr"];
  tail.push(`\n\ndef main():`);
  tail.push(`    train, test = load_data()`);
  tail.push(`    train = add_features(train)`);
  tail.push(`    test = add_features(test)`);
  tail.push(`    features = [c for c in train.columns if c.startswith("f_")]`);
  tail.push(`    results = {}`);
  for (const c of configs) {
    for (let k = 0; k < 8; k++) {
      tail.push(
        `    params_${c}_${k} = {"n_estimators": ${100 + 50 * k}, "learning_rate": ${(0.1 / (k + 1)).toFixed(4)}, "random_state": SEED}`,
      );
      tail.push(`    try:`);
      tail.push(`        results["${c}_${k}"] = run_cv(train, test, features, "${c}", params_${c}_${k})`);
      tail.push(`    except Exception as e:`);
      tail.push(`        log(f"${c}_${k} failed: {e}")`);
    }
  }
  tail.push(`    best = max(results, key=lambda k: results[k][2])`);
  tail.push(`    log(f"best {best}")`);
  tail.push(`    sub = pd.DataFrame({"id": test["id"], "target": results[best][1]})`);
  tail.push(`    sub.to_csv(SUB_PATH, index=False)`);
  tail.push(`    print(json.dumps({"best": best, "cv": results[best][2]}))`);
  tail.push(``);
  tail.push(``);
  tail.push(`if __name__ == "__main__":`);
  tail.push(`    main()`);
  return `${head}${feats.join("\n")}\n${body}${tail.join("\n")}\n`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall and CPU (user + sys) milliseconds of one child run, measured by a tiny Python parent. */
const MEASURE = `import json, resource, subprocess, sys, time
req = json.loads(sys.stdin.read())
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
r = subprocess.run(req["argv"], input=req["input"].encode(), cwd=req["cwd"], capture_output=True)
wall = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(json.dumps({"rc": r.returncode, "wall": wall * 1000, "cpu": cpu * 1000, "err": r.stderr.decode()[-500:]}))`;

/** Median milliseconds of parsing, finding sites and the profile check on one source, in one Python process. */
const SPLIT = `import ast, json, os, sys, time
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import instrument, plain_profile
code = sys.stdin.read()
tree = ast.parse(code)
def med(f, n=30):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t) * 1000)
    return sorted(ts)[n // 2]
print(json.dumps({"parse": med(lambda: ast.parse(code)), "sites": med(lambda: instrument.find_sites(code, tree)),
                  "profile": med(lambda: plain_profile.check(tree))}))`;

function measure(python: string, args: string[], input: string, cwd: string): { wall: number; cpu: number } {
  const r = spawnSync(python, ["-c", MEASURE], { input: JSON.stringify({ argv: [python, ...args], input, cwd }) });
  const out = JSON.parse(r.stdout.toString()) as { rc: number; wall: number; cpu: number; err: string };
  if (out.rc !== 0) throw new Error(`benchmark program failed: ${out.err}`);
  return out;
}

async function main() {
  const { python } = requireAgentPython();
  const code = program300();
  const lines = code.split("\n").length - 1;
  const inst = new AstInstrumenter(python);
  const nonce = newNonce();
  const first = await inst.instrument(code, nonce); // starts the worker
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await inst.instrument(code, nonce);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await inst.close();
  console.log(
    `instrument: ${lines}-line program, ${first.sites.length} sites, median ${median(times).toFixed(1)} ms over ${N} (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}); target < 50 ms`,
  );
  const split = spawnSync(python, ["-I", "-S", "-c", SPLIT, instrumentScript()], { input: code });
  const parts = JSON.parse(split.stdout.toString()) as { parse: number; sites: number; profile: number };
  console.log(
    `instrument, side by side in one process (medians): parse ${parts.parse.toFixed(1)} ms, find sites ${parts.sites.toFixed(1)} ms, ` +
      `plain-ML profile check ${parts.profile.toFixed(1)} ms (${((100 * parts.profile) / (parts.parse + parts.sites)).toFixed(0)} % on top of parsing and finding sites)`,
  );

  const dir = mkdtempSync(join(tmpdir(), "mlerl-bench-instr-"));
  try {
    const trivial = join(dir, "trivial.py");
    writeFileSync(trivial, "x = sum(range(1000))\n");
    const heavy = join(dir, "heavy.py");
    writeFileSync(
      heavy,
      "import pandas as pd\nimport lightgbm as lgb\nfrom sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit([[0], [1]], [0, 1])\nprint(m.predict([[1]]))\n",
    );
    const inst2 = new AstInstrumenter(python);
    const heavySites = (
      await inst2.instrument(
        "import pandas as pd\nimport lightgbm as lgb\nfrom sklearn.linear_model import LogisticRegression\nm = LogisticRegression().fit([[0], [1]], [0, 1])\nprint(m.predict([[1]]))\n",
        nonce,
      )
    ).sites;
    await inst2.close();
    const trivialSites = [{ after: 1, indent: "", kind: "features_built" as const, value: null }];
    for (const [name, file, sites] of [
      ["trivial program", trivial, trivialSites],
      ["pandas+sklearn+lightgbm program", heavy, heavySites],
    ] as const) {
      const plain: Array<{ wall: number; cpu: number }> = [];
      const launched: Array<{ wall: number; cpu: number }> = [];
      for (let i = 0; i < RUNS; i++) {
        plain.push(measure(python, [file], "", dir));
        launched.push(measure(python, launchArgs(file), launchStdin(sites, nonce), dir));
      }
      const f = (xs: Array<{ wall: number; cpu: number }>, k: "wall" | "cpu") => median(xs.map((x) => x[k]));
      console.log(
        `launcher, ${name}: CPU plain ${f(plain, "cpu").toFixed(0)} ms, launched ${f(launched, "cpu").toFixed(0)} ms ` +
          `(+${(f(launched, "cpu") - f(plain, "cpu")).toFixed(0)} ms); wall plain ${f(plain, "wall").toFixed(0)} ms, launched ${f(launched, "wall").toFixed(0)} ms (median of ${RUNS})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
