/**
 * Forged markers earn nothing: replayed markers from another run, marker-shaped prints, programs that read
 * their own source, argv, environment or stdin, call the marker event themselves, or walk the interpreter.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { launchStdin } from "../../src/instrument/launch.js";
import { markerTag, markerTags, METRIC_REPORTS, newNonce } from "../../src/instrument/nonce.js";
import { parseMarkers, stripMarkers } from "../../src/instrument/markers.js";
import { MARKER_KINDS } from "../../src/instrument/types.js";
import { PROGRAMS } from "./programs.js";
import { cleanup, runProgram, type Run } from "./run.js";

const inst = new AstInstrumenter();
after(() => inst.close());

async function launched(code: string, nonce = newNonce()): Promise<{ run: Run; nonce: string }> {
  const r = await inst.instrument(code, nonce);
  return { run: await runProgram(code, { launch: { sites: r.sites, nonce } }), nonce };
}

/** Nothing but genuine marker lines may contain the nonce or any of this execution's tags. */
function assertNoSecretLeaked(run: Run, nonce: string): void {
  const secrets = [nonce, ...markerTags(nonce).keys()];
  for (const text of [stripMarkers(run.stdout, nonce), run.stderr, ...Object.values(run.files)]) {
    for (const s of secrets) assert.ok(!text.includes(s), "a secret leaked into the program's output");
  }
}

test("markers replayed from another execution earn nothing", async () => {
  const valid = PROGRAMS.find((p) => p.name === "valid submission")!;
  const first = await launched(valid.code);
  try {
    const genuine = parseMarkers(first.run.stdout, first.nonce);
    assert.equal(genuine.milestones.length, 8, "the first run reached everything");
    // The same text read with another execution's nonce.
    const other = newNonce();
    const replayedText = parseMarkers(first.run.stdout, other);
    assert.deepEqual(replayedText.milestones, []);
    assert.equal(replayedText.rejected, genuine.reached.length + 1, "every marker line is rejected (incl. the repeated metric)");
    // A program that prints the earlier run's markers verbatim.
    const replay = await launched(`print(${JSON.stringify(first.run.stdout)}, end="")\n`);
    try {
      const report = parseMarkers(replay.run.stdout, replay.nonce);
      assert.deepEqual(report.milestones, []);
      assert.equal(report.validationMetric, null);
      assert.ok(report.rejected >= 8);
      assert.equal(replay.run.stdout, first.run.stdout, "it did print them");
    } finally {
      cleanup(replay.run);
    }
  } finally {
    cleanup(first.run);
  }
});

test("marker-shaped prints with made-up tags earn nothing", async () => {
  const tags = MARKER_KINDS.map((k, i) => `print("@@mlerl ${"0123456789abcdef".repeat(2).slice(i)}${"f".repeat(i)} ${k} 0.99")`).join("\n");
  const { run, nonce } = await launched(`${tags}\n`);
  try {
    const report = parseMarkers(run.stdout, nonce);
    assert.deepEqual(report.milestones, []);
    assert.equal(report.rejected, MARKER_KINDS.length);
  } finally {
    cleanup(run);
  }
});

test("a program that reads its own source, argv, environment and stdin and calls the marker event itself gets nothing for it", async () => {
  const code = `import sys, os
src = open(__file__).read()
print(src)
print(open(sys.argv[0]).read() == src)
for p in ["/proc/self/cmdline", "/proc/self/environ", "/proc/self/fd/0"]:
    try:
        print(open(p, "rb").read().decode(errors="replace"))
    except Exception as e:
        print("cannot read", p, e)
print(repr(sys.stdin.read()))
print(sorted(os.environ))
for line in src.splitlines():
    if "mlerl" in line or "audit" in line:
        try:
            exec(line.strip())
        except Exception:
            pass
for k in range(64):
    sys.audit("mlerl.site", k)
    sys.audit("mlerl.site", k, 0.99)
f = sys._getframe()
while f is not None:
    print(sorted(f.f_locals))
    print(repr(f.f_locals)[:20000])
    f = f.f_back
if len(sys.argv) > 99:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    df = pd.read_csv("{DATA}/train.csv")
    m = LogisticRegression()
    m.fit(df[["f_a"]], df.target)
    p = m.predict(df[["f_a"]])
    df.to_csv("{SUB}/submission.csv")
`;
  const { run, nonce } = await launched(code);
  try {
    assert.equal(run.exitCode, 0, run.stderr);
    assert.ok(run.stdout.includes("True\n"), "it did read its own source");
    const report = parseMarkers(run.stdout, nonce);
    assert.deepEqual(report.milestones, ["imports"], "only the imports it really made");
    assertNoSecretLeaked(run, nonce);
  } finally {
    cleanup(run);
  }
});

test("walking the garbage collector for the tags revokes them before it sees them", async () => {
  const code = `import gc, sys
found = []
for o in gc.get_objects():
    try:
        items = list(o.values()) if isinstance(o, dict) else list(o) if isinstance(o, (list, tuple)) else []
    except Exception:
        items = []
    for v in items:
        if isinstance(v, str) and ("@@mlerl" in v or len(v) == 32):
            found.append(v)
        if isinstance(v, tuple):
            found.extend(x for x in v if isinstance(x, str) and "@@mlerl" in x)
for s in found:
    print(s)
from sklearn.linear_model import LogisticRegression
m = LogisticRegression().fit([[0], [1]], [0, 1])
`;
  const { run, nonce } = await launched(code);
  try {
    assert.equal(run.exitCode, 0, run.stderr);
    const report = parseMarkers(run.stdout, nonce);
    assert.deepEqual(report.milestones, ["imports"], "markers after the walk are no longer written");
    assertNoSecretLeaked(run, nonce);
  } finally {
    cleanup(run);
  }
});

test("installing a trace function (which could read the hook's frame) also revokes the tags", async () => {
  const code = `import sys
sys.settrace(lambda frame, event, arg: None)
sys.settrace(None)
from sklearn.linear_model import LogisticRegression
m = LogisticRegression().fit([[0], [1]], [0, 1])
print("trained")
`;
  const { run, nonce } = await launched(code);
  try {
    assert.equal(run.exitCode, 0, run.stderr);
    assert.ok(run.stdout.includes("trained\n"), "the program itself is unaffected");
    assert.deepEqual(parseMarkers(run.stdout, nonce).milestones, ["imports"]);
  } finally {
    cleanup(run);
  }
});

test("the plan holds a line only for kinds that have a site, and never the nonce", () => {
  const nonce = newNonce();
  const plan = launchStdin([{ after: 1, indent: "", kind: "imports", value: null }], nonce);
  assert.ok(plan.includes(markerTag(nonce, "imports")));
  assert.ok(!plan.includes(nonce));
  for (const [tag, kind] of markerTags(nonce)) if (kind !== "imports") assert.ok(!plan.includes(tag), `no ${kind} tag`);
  const withMetric = launchStdin([{ after: 1, indent: "", kind: "metric", value: "auc" }], nonce);
  assert.equal(withMetric.split("@@mlerl ").length - 1, METRIC_REPORTS, "one one-time line per metric report");
});

test("a module the program writes next to itself is never imported by the launched program", async () => {
  // Libraries import optional modules by name at run time; a file of that name in the program's (writable)
  // directory would be code the profile never saw. Plainly run, the directory is on sys.path; launched, it is not.
  const code = `import sys
with open("mlerl_written_module.py", "w") as f:
    f.write("print('unchecked code ran')\\n")
try:
    import mlerl_written_module
except ImportError:
    print("not importable")
from sklearn.linear_model import LogisticRegression
m = LogisticRegression().fit([[0], [1]], [0, 1])
`;
  const plain = await runProgram(code);
  const { run, nonce } = await launched(code);
  try {
    assert.match(plain.stdout, /unchecked code ran/);
    assert.match(run.stdout, /not importable/);
    assert.doesNotMatch(run.stdout, /unchecked code ran/);
    assert.deepEqual(parseMarkers(run.stdout, nonce).milestones, ["imports", "model_defined", "model_trained"]);
  } finally {
    cleanup(plain);
    cleanup(run);
  }
});
