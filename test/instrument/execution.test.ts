/**
 * Instrumented programs behave exactly like the originals (apart from the marker lines on stdout), and reach
 * exactly the milestones the rule says — on real executions with the agent's Python.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { parseMarkers, stripMarkers } from "../../src/instrument/markers.js";
import { PROGRAMS } from "./programs.js";
import { cleanup, runProgram, type Run } from "./run.js";

const inst = new AstInstrumenter();
after(() => inst.close());

async function both(code: string): Promise<{ plain: Run; launched: Run; nonce: string }> {
  const nonce = newNonce();
  const r = await inst.instrument(code, nonce);
  const [plain, launched] = await Promise.all([runProgram(code), runProgram(code, { launch: { sites: r.sites, nonce } })]);
  return { plain, launched, nonce };
}

function assertSameBehaviour(plain: Run, launched: Run, nonce: string, what: string): void {
  assert.equal(launched.exitCode, plain.exitCode, `${what}: exit code`);
  assert.equal(stripMarkers(launched.stdout, nonce), plain.stdout, `${what}: stdout apart from markers`);
  assert.equal(launched.stderr, plain.stderr, `${what}: stderr (tracebacks, warnings)`);
  assert.deepEqual(launched.files, plain.files, `${what}: files written`);
}

const SAME = [
  "syntax error",
  "missing package",
  "crash while building features",
  "crash while predicting",
  "invalid submission",
  "valid submission",
  "lightgbm in functions under a main guard",
];

for (const name of SAME) {
  const p = PROGRAMS.find((x) => x.name === name)!;
  test(`${name}: same behaviour instrumented, and the milestones the rule says`, async () => {
    const { plain, launched, nonce } = await both(p.code);
    try {
      assertSameBehaviour(plain, launched, nonce, name);
      const report = parseMarkers(launched.stdout, nonce);
      assert.deepEqual(report.milestones, p.reached);
      assert.equal(report.rejected, 0);
      if (p.reached.includes("validation_metric")) {
        // The value the program printed, read independently from its own output.
        const printed = /(?:Validation AUC:|CV AUC) ([0-9.]+)/.exec(plain.stdout);
        assert.ok(printed, "the program printed its metric");
        assert.ok(
          Math.abs(report.validationMetric! - Number(printed[1])) < 1e-4,
          `metric ${report.validationMetric} vs printed ${printed[1]}`,
        );
      } else {
        assert.equal(report.validationMetric, null);
      }
    } finally {
      cleanup(plain);
      cleanup(launched);
    }
  });
}

test("tracebacks point at the original lines, and inspect/__file__ see the original program", async () => {
  const code = `import inspect, sys, warnings
from sklearn.linear_model import LogisticRegression

def make():
    return LogisticRegression()

print(open(__file__).read() == inspect.getsource(sys.modules["__main__"]))
print(inspect.getsource(make))
print(__name__, sys.argv[0].endswith("program.py"))
warnings.warn("careful")
m = make()
m.fit([[0], [1]], [0, 1])
def boom():
    raise ValueError("boom")
try:
    boom()
except ValueError:
    import traceback
    traceback.print_exc()
boom()
`;
  const { plain, launched, nonce } = await both(code);
  try {
    assertSameBehaviour(plain, launched, nonce, "introspection");
    assert.match(plain.stdout, /^True\n/);
    assert.match(plain.stderr, /line 14, in boom/);
    assert.deepEqual(parseMarkers(launched.stdout, nonce).milestones, ["imports", "model_defined", "model_trained"]);
  } finally {
    cleanup(plain);
    cleanup(launched);
  }
});

test("redirected or closed stdout: the program behaves the same and markers never break it", async () => {
  const redirected = `import sys
from sklearn.linear_model import LogisticRegression
log = open("log.txt", "w")
sys.stdout = log
print("into the log")
m = LogisticRegression().fit([[0], [1]], [0, 1])
print("trained")
log.close()
sys.stdout = sys.__stdout__
print("back")
`;
  const closed = `import os, sys
from sklearn.linear_model import LogisticRegression
print("before", flush=True)
os.close(1)
m = LogisticRegression().fit([[0], [1]], [0, 1])
with open("after.txt", "w") as f:
    f.write("still running\\n")
`;
  for (const [what, code, expect] of [
    ["redirected", redirected, ["imports", "model_defined", "model_trained"]],
    // Markers go to the launcher's own copy of stdout, so closing fd 1 loses none of them.
    ["closed", closed, ["imports", "model_defined", "model_trained"]],
  ] as const) {
    const { plain, launched, nonce } = await both(code);
    try {
      assertSameBehaviour(plain, launched, nonce, what);
      assert.deepEqual(parseMarkers(launched.stdout, nonce).milestones, expect, what);
    } finally {
      cleanup(plain);
      cleanup(launched);
    }
  }
});

test("markers interleave with the program's own output in order", async () => {
  const code = `import pandas as pd
print("a", end="")
df = pd.read_csv("{DATA}/train.csv")
print("b")
`;
  const { plain, launched, nonce } = await both(code);
  try {
    assertSameBehaviour(plain, launched, nonce, "interleave");
    const report = parseMarkers(launched.stdout, nonce);
    const [imports, loaded] = report.reached;
    assert.equal(imports?.milestone, "imports");
    assert.equal(loaded?.milestone, "data_loaded");
    assert.equal(launched.stdout.indexOf("@@mlerl"), imports!.offset, "the imports marker comes first, before any output");
    assert.ok(launched.stdout.indexOf("a") < loaded!.offset && loaded!.offset < launched.stdout.indexOf("b\n"));
  } finally {
    cleanup(plain);
    cleanup(launched);
  }
});
