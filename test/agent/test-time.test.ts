import type { AgentFeedback } from "../../src/core/rollout.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTemplates } from "../../src/agent/prompts.js";
import { selectBetter, testTimeSolve, type RunOutcome, type SolveRequest, type Visible } from "../../src/agent/test-time.js";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { tempDir } from "./tmp.js";

const NONCE = "nonce5b1d0e";
const MARK = `@@mlerl:${NONCE}`;
const fakeStrip = (out: string) =>
  out
    .split("\n")
    .filter((l) => !l.includes(MARK))
    .join("\n");
const templates = loadTemplates();
const task = { description: "Predict the label.", metric: "accuracy", lowerIsBetter: false };
const fence = (code: string) => `Plan: a model.\n\n\`\`\`python\n${code}\n\`\`\`\n`;

interface Scripted {
  validationMetric: number | null;
  validSubmission: boolean;
  testScore: number | null;
  reward?: number;
  output?: string;
}

/** A policy that answers with a program tagged by attempt kind, and an executor that reports scripted outcomes. */
function scripted(scratch: Scripted, improve: Scripted, lowerIsBetter = false) {
  const requests: SolveRequest[] = [];
  const outcome = (s: Scripted): RunOutcome => ({
    output: s.output ?? `${MARK}:data_loaded\nvalidation metric: ${s.validationMetric}\n`,
    validationMetric: s.validationMetric,
    validSubmission: s.validSubmission,
    testScore: s.testScore,
    reward: s.reward ?? (s.validSubmission && s.testScore !== null ? (lowerIsBetter ? -s.testScore : s.testScore) : 0.2),
    summary: "exited 0",
  });
  return {
    requests,
    input: {
      task: { ...task, lowerIsBetter },
      dataOverview: "train.csv: 10 rows",
      timeLimitSec: 60,
      templates,
      stripMarkers: fakeStrip,
      secrets: [NONCE],
      solve: async (req: SolveRequest) => {
        requests.push(req);
        return { text: fence(`print("${req.kind}")`) };
      },
      run: async (code: string) => outcome(code.includes("scratch") ? scratch : improve),
    },
  };
}

test("selectBetter: direction-aware, ties keep scratch, ineligible attempts lose", () => {
  const v = (validationMetric: number | null, validSubmission = true): Visible => ({ validationMetric, validSubmission });
  assert.equal(selectBetter(v(0.8), v(0.9), false).selected, "improve");
  assert.equal(selectBetter(v(0.8), v(0.9), true).selected, "scratch");
  assert.equal(selectBetter(v(0.5), v(0.4), true).reason, "improve_metric_better");
  assert.equal(selectBetter(v(0.7), v(0.7), false).reason, "metric_tie_keeps_scratch");
  assert.equal(selectBetter(v(0.1), v(0.9, false), false).reason, "only_scratch_eligible");
  assert.equal(selectBetter(v(null), v(0.01), false).reason, "only_improve_eligible");
  assert.equal(selectBetter(v(Number.NaN), v(0.01), false).reason, "only_improve_eligible");
  assert.equal(selectBetter(v(0.9, false), v(null, true), false).reason, "neither_eligible_improve_has_valid_submission");
  assert.equal(selectBetter(v(null, true), v(null, true), false).reason, "neither_eligible_keeps_scratch");
  assert.equal(selectBetter(v(0.9, false), v(0.95, false), false).reason, "neither_eligible_keeps_scratch");
});

test("the choice follows the printed validation metric even when the hidden test score says otherwise", async () => {
  // Higher is better: scratch prints the better validation metric, improve has the better test score.
  const s = scripted(
    { validationMetric: 0.91, validSubmission: true, testScore: 0.6 },
    { validationMetric: 0.85, validSubmission: true, testScore: 0.8 },
  );
  const r = await testTimeSolve(s.input);
  assert.equal(r.selection.selected, "scratch");
  assert.equal(r.selection.reason, "scratch_metric_better");
  assert.equal(r.selectedTestScore, 0.6);
  assert.deepEqual(r.testScores, { scratch: 0.6, improve: 0.8 });
  // Lower is better, same disagreement the other way round.
  const l = scripted(
    { validationMetric: 0.4, validSubmission: true, testScore: 0.3 },
    { validationMetric: 0.35, validSubmission: true, testScore: 0.9 },
    true,
  );
  const rl = await testTimeSolve(l.input);
  assert.equal(rl.selection.selected, "improve");
  assert.equal(rl.selectedTestScore, 0.9);
});

test("the hidden test score is read only after both attempts have run", async () => {
  const events: string[] = [];
  const withSpy = (kind: string, testScore: number, validationMetric: number): RunOutcome => {
    const o = { output: "ok\n", validationMetric, validSubmission: true, reward: 0.1, summary: "" } as RunOutcome;
    Object.defineProperty(o, "testScore", {
      enumerable: true,
      get() {
        events.push(`read testScore ${kind}`);
        return testScore;
      },
    });
    return o;
  };
  const r = await testTimeSolve({
    task,
    dataOverview: "",
    timeLimitSec: 30,
    templates,
    stripMarkers: fakeStrip,
    solve: async (req) => {
      events.push(`solve ${req.kind}`);
      return { code: `print("${req.kind}")\n` };
    },
    run: async (_code, { kind }) => {
      events.push(`run ${kind}`);
      return kind === "scratch" ? withSpy(kind, 0.99, 0.5) : withSpy(kind, 0.01, 0.7);
    },
  });
  assert.equal(r.selection.selected, "improve");
  const firstRead = events.findIndex((e) => e.startsWith("read testScore"));
  assert.ok(firstRead > events.indexOf("run improve"), events.join(" | "));
  assert.deepEqual(events.slice(0, 4), ["solve scratch", "run scratch", "solve improve", "run improve"]);
});

test("the improve request shows code, stripped output and metric; never the test score; the reward only as partial credit", async () => {
  const SENTINEL = 0.7654321;
  const valid = scripted(
    { validationMetric: 0.5, validSubmission: true, testScore: SENTINEL },
    { validationMetric: 0.4, validSubmission: true, testScore: 0.1 },
  );
  await testTimeSolve(valid.input);
  const req = valid.requests[1]!;
  assert.equal(req.kind, "improve");
  assert.ok(req.previous);
  assert.deepEqual(Object.keys(req.previous).sort(), [
    "code",
    "feedback",
    "output",
    "plan",
    "reward",
    "summary",
    "validSubmission",
    "validationMetric",
  ]);
  assert.equal(req.previous.code, 'print("scratch")\n');
  assert.equal(req.previous.plan, "Plan: a model.");
  assert.equal(req.previous.output, "validation metric: 0.5\n");
  assert.equal(req.previous.reward, null, "a valid submission's reward is its test score: hidden");
  for (const text of [req.prompt, JSON.stringify(req.previous)]) {
    assert.ok(!text.includes("7654321"), "the hidden test score never reaches the agent");
    assert.ok(!text.includes(NONCE) && !text.includes("@@mlerl"), "no instrumentation reaches the agent");
  }
  assert.match(req.prompt, /Reward: not shown/);
  assert.match(req.prompt, /Validation metric it printed: 0\.5/);

  const failed = scripted(
    { validationMetric: null, validSubmission: false, testScore: null, reward: 0.3, output: `${MARK}:imports\nTraceback: KeyError 'x'\n` },
    { validationMetric: 0.4, validSubmission: true, testScore: 0.1 },
  );
  const rf = await testTimeSolve(failed.input);
  const fr = failed.requests[1]!;
  assert.equal(fr.previous?.reward, 0.3);
  assert.match(fr.prompt, /Reward: 0\.3\./);
  assert.match(fr.prompt, /Traceback: KeyError 'x'/);
  assert.match(fr.prompt, /no valid submission\.csv was written/);
  assert.equal(rf.selection.reason, "only_improve_eligible");

  const always = scripted(
    { validationMetric: 0.5, validSubmission: true, testScore: 0.25 },
    { validationMetric: 0.4, validSubmission: true, testScore: 0.1 },
  );
  await testTimeSolve({ ...always.input, rewardVisibility: "always" });
  assert.match(always.requests[1]!.prompt, /Reward: 0\.25\./);
  const never = scripted(
    { validationMetric: null, validSubmission: false, testScore: null, reward: -10 },
    { validationMetric: 0.4, validSubmission: true, testScore: 0.1 },
  );
  await testTimeSolve({ ...never.input, rewardVisibility: "never" });
  assert.equal(never.requests[1]!.previous?.reward, null);
});

test("structured feedback from the run reaches the improve request for token-conditioned policies", async () => {
  const requests: SolveRequest[] = [];
  const feedback: AgentFeedback = {
    output: "",
    failureKind: "runtime_error",
    milestones: 5,
    validationMetric: null,
    validSubmission: false,
    summary: "exited 1 in 2.0 s",
  };
  await testTimeSolve({
    task,
    dataOverview: "",
    timeLimitSec: 30,
    templates,
    stripMarkers: fakeStrip,
    solve: async (req) => {
      requests.push(req);
      return { code: "print(1)\n" };
    },
    run: async () => ({
      output: "",
      validationMetric: null,
      validSubmission: false,
      testScore: null,
      reward: 0.3,
      feedback,
    }),
  });
  assert.deepEqual(requests[1]?.previous?.feedback, feedback);
  assert.deepEqual(requests[0]?.previous, undefined);
});

test("a scratch response without code skips the improvement; an improvement without code loses", async () => {
  let calls = 0;
  const r = await testTimeSolve({
    task,
    dataOverview: "",
    timeLimitSec: 30,
    templates,
    stripMarkers: fakeStrip,
    solve: async () => {
      calls += 1;
      return { text: "I would train a random forest." };
    },
    run: async () => assert.fail("nothing to run"),
  });
  assert.equal(calls, 1);
  assert.equal(r.improve, null);
  assert.equal(r.selection.reason, "improve_skipped_no_scratch_code");
  assert.equal(r.scratch.parsed.ok, false);
  assert.equal(r.selectedTestScore, null);

  const runs: string[] = [];
  const r2 = await testTimeSolve({
    task,
    dataOverview: "",
    timeLimitSec: 30,
    templates,
    stripMarkers: fakeStrip,
    solve: async (req) => ({ text: req.kind === "scratch" ? fence("print(1)") : "Sorry, I cannot." }),
    run: async (code) => {
      runs.push(code);
      return { output: "", validationMetric: null, validSubmission: true, testScore: 0.4, reward: 0.4 };
    },
  });
  assert.deepEqual(runs, ["print(1)\n"]);
  assert.equal(r2.improve?.parsed.ok, false);
  assert.equal(r2.improve?.run, null);
  assert.equal(r2.selection.selected, "scratch");
  assert.equal(r2.selectedTestScore, 0.4);
});

test("NaN and infinite printed metrics count as no metric; an invalid outcome is a bug reported by kind", async () => {
  const s = scripted(
    { validationMetric: Number.POSITIVE_INFINITY, validSubmission: true, testScore: 0.9 },
    { validationMetric: 0.2, validSubmission: true, testScore: 0.1 },
  );
  const r = await testTimeSolve(s.input);
  assert.equal(r.scratch.validationMetric, null);
  assert.equal(r.selection.reason, "only_improve_eligible");
  await assert.rejects(
    testTimeSolve({
      ...s.input,
      run: async () => ({ output: 3, validationMetric: 0.1, validSubmission: true, testScore: 0, reward: 0 }) as unknown as RunOutcome,
    }),
    /scratch run returned an invalid outcome at output/,
  );
});

// End to end with real Python: the scratch program "validates" on its own training data (1-nearest-neighbour,
// so it prints a perfect score) while the improvement validates honestly on a hold-out. The hidden test score
// favours the improvement; the procedure must still keep the scratch program, because that is what the agent
// can see. A real executor-like runner runs each program and grades its submission against private answers.
const GEN = String.raw`
import sys, numpy as np, pandas as pd
root = sys.argv[1]
rng = np.random.default_rng(1)
n = 1500
X = rng.normal(size=(n, 5))
y = ((X @ np.array([1.0, -0.8, 0.6, 0.0, 0.3]) + rng.normal(scale=1.0, size=n)) > 0).astype(int)
cols = [f"f{i}" for i in range(5)]
tr = pd.DataFrame(X[:1000], columns=cols); tr.insert(0, "id", range(1000)); tr["label"] = y[:1000]
te = pd.DataFrame(X[1000:], columns=cols); te.insert(0, "id", range(1000, n))
tr.to_csv(f"{root}/public/train.csv", index=False); te.to_csv(f"{root}/public/test.csv", index=False)
pd.DataFrame({"id": range(1000, n), "label": y[1000:]}).to_csv(f"{root}/private/answers.csv", index=False)
`;

const PROGRAM = (model: string, honest: boolean) => `
import os
import pandas as pd
from sklearn.model_selection import train_test_split
${model.startsWith("KNeighbors") ? "from sklearn.neighbors import KNeighborsClassifier" : "from sklearn.linear_model import LogisticRegression"}
data = os.environ["DATA_DIR"]
train = pd.read_csv(os.path.join(data, "train.csv"))
test = pd.read_csv(os.path.join(data, "test.csv"))
features = [c for c in train.columns if c.startswith("f")]
X, y = train[features], train["label"]
model = ${model}
${honest ? "Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=0)\nmodel.fit(Xa, ya)\nscore = (model.predict(Xb) == yb).mean()" : "model.fit(X, y)\nscore = (model.predict(X) == y).mean()"}
print(f"validation metric: {score:.6f}")
model.fit(X, y)
pd.DataFrame({"id": test["id"], "label": model.predict(test[features])}).to_csv("submission.csv", index=False)
`;

test("end to end on real Python: a self-flattering validation metric wins over a better hidden test score", async () => {
  const py = requireAgentPython();
  const root = tempDir("mlerl-testtime-");
  mkdirSync(join(root, "public"));
  mkdirSync(join(root, "private"));
  const gen = spawnSync(py.python, ["-c", GEN, root], { encoding: "utf8" });
  assert.equal(gen.status, 0, gen.stderr);
  const answers = new Map(
    readFileSync(join(root, "private", "answers.csv"), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(",") as [string, string]),
  );

  let n = 0;
  const run = async (code: string): Promise<RunOutcome> => {
    const dir = join(root, `run${n++}`);
    mkdirSync(dir);
    // Stands in for the instrumenter: a nonce-tagged marker the agent must never see.
    writeFileSync(join(dir, "main.py"), `print("${MARK}:start")\n${code}`);
    const r = spawnSync(py.python, ["main.py"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, DATA_DIR: join(root, "public"), OMP_NUM_THREADS: "1" },
    });
    const output = `${r.stdout}${r.stderr}`;
    const m = /validation metric: ([-+0-9.eE]+)/.exec(output);
    const sub = join(dir, "submission.csv");
    let testScore: number | null = null;
    if (existsSync(sub)) {
      const rows = readFileSync(sub, "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(","));
      if (rows.length === answers.size && rows.every(([id]) => answers.has(id ?? ""))) {
        testScore = rows.filter(([id, label]) => answers.get(id ?? "") === label).length / rows.length;
      }
    }
    return {
      output,
      validationMetric: m ? Number(m[1]) : null,
      validSubmission: testScore !== null,
      testScore,
      reward: testScore ?? -10,
      summary: `exited ${r.status}`,
    };
  };
  const requests: SolveRequest[] = [];
  const result = await testTimeSolve({
    task,
    dataOverview: "train.csv, test.csv",
    timeLimitSec: 60,
    templates,
    stripMarkers: fakeStrip,
    secrets: [NONCE],
    solve: async (req) => {
      requests.push(req);
      return {
        text:
          req.kind === "scratch"
            ? fence(PROGRAM("KNeighborsClassifier(n_neighbors=1)", false))
            : fence(PROGRAM("LogisticRegression()", true)),
      };
    },
    run,
  });
  const { scratch, improve } = result.testScores;
  assert.ok(scratch !== null && improve !== null);
  // The premise: the hidden test score prefers the improvement, the agent's own metric prefers scratch.
  assert.ok(improve > scratch + 0.05, `test: improve ${improve} vs scratch ${scratch}`);
  assert.equal(result.scratch.validationMetric, 1);
  assert.ok(result.improve !== null && result.improve.validationMetric !== null && result.improve.validationMetric < 1);
  assert.equal(result.selection.selected, "scratch");
  assert.equal(result.selection.reason, "scratch_metric_better");
  assert.equal(result.selectedTestScore, scratch);
  // What the second attempt was shown: the real output without the marker, and no test score.
  const shown = requests[1]!;
  assert.match(shown.prompt, /validation metric: 1\.000000/);
  assert.ok(!shown.prompt.includes(NONCE));
  assert.ok(!shown.prompt.includes(String(scratch)));
});
