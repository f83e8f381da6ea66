import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { prepareTasks, taskPaths } from "../../src/tasks/registry.js";

/**
 * Each tabular mini task must be learnable: a simple scikit-learn model, fitted on 75% of train.csv and scored on
 * the other 25% with the task's metric, beats the best constant prediction clearly. Runs the real agent Python.
 */
const PROGRAM = String.raw`
import json, sys
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

task, data = sys.argv[1], sys.argv[2]
train = pd.read_csv(f"{data}/train.csv")
model = lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
if task == "mini-tabular-playground-series-may-2022":
    X, y = train.drop(columns=["id", "target", "f_27"]), train["target"]
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=1)
    res = {"model": roc_auc_score(yb, model().fit(Xa, ya).predict_proba(Xb)[:, 1]), "constant": 0.5, "higher": True}
elif task == "mini-tabular-playground-series-dec-2021":
    X, y = train.drop(columns=["Id", "Cover_Type"]), train["Cover_Type"]
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=1)
    res = {"model": accuracy_score(yb, model().fit(Xa, ya).predict(Xb)), "constant": accuracy_score(yb, np.full(len(yb), ya.mode()[0])), "higher": True}
elif task == "mini-nomad2018-predict-transparent-conductors":
    targets = ["formation_energy_ev_natom", "bandgap_energy_ev"]
    X = train.drop(columns=["id", *targets])
    a, b = train_test_split(train, test_size=0.25, random_state=1)
    rmsle = lambda y, p: float(np.sqrt(np.mean((np.log1p(np.clip(p, 0, None)) - np.log1p(y)) ** 2)))
    fit = lambda t: make_pipeline(StandardScaler(), Ridge()).fit(a[X.columns], a[t]).predict(b[X.columns])
    res = {"model": np.mean([rmsle(b[t], fit(t)) for t in targets]),
           "constant": np.mean([rmsle(b[t], np.full(len(b), a[t].median())) for t in targets]), "higher": False}
elif task == "mini-leaf-classification":
    X, y = train.drop(columns=["id", "species"]), train["species"]
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    m = model().fit(Xa, ya)
    prior = np.full((len(yb), len(m.classes_)), 1 / len(m.classes_))
    res = {"model": log_loss(yb, m.predict_proba(Xb), labels=m.classes_), "constant": log_loss(yb, prior, labels=m.classes_), "higher": False}
print(json.dumps(res))
`;

const TASKS = [
  "mini-tabular-playground-series-may-2022",
  "mini-tabular-playground-series-dec-2021",
  "mini-nomad2018-predict-transparent-conductors",
  "mini-leaf-classification",
];
let dataDir = "";
before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "mlerl-learn-"));
  await prepareTasks(TASKS, dataDir, () => {});
});

for (const id of TASKS) {
  test(`${id}: a simple sklearn model beats the best constant prediction on a hold-out of train.csv`, () => {
    const py = requireAgentPython();
    const r = spawnSync(py.python, ["-c", PROGRAM, id, taskPaths(id, dataDir).publicDir], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", PYTHONWARNINGS: "ignore" },
    });
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split("\n").pop() as string) as { model: number; constant: number; higher: boolean };
    const gain = res.higher ? res.model - res.constant : res.constant - res.model;
    // a clear margin relative to the constant's own score
    assert.ok(gain > 0.1 * Math.abs(res.constant), `${id}: model ${res.model} vs constant ${res.constant}`);
  });
}
