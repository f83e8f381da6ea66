import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRollout } from "../../src/rollout/run-rollout.js";
import { AstInstrumenter } from "../../src/instrument/index.js";
import { BwrapExecutor } from "../../src/sandbox/index.js";
import { prepareTasks, requirePrepared } from "../../src/tasks/registry.js";
import { repoRoot } from "../../src/paths.js";

const root = mkdtempSync(join(tmpdir(), "mlerl-rollout-"));
after(() => rmSync(root, { recursive: true, force: true }));
const TASK = "mini-nomad2018-predict-transparent-conductors";
let n = 0;
const outDir = () => join(root, "runs", String(n++));

async function setup() {
  await prepareTasks([TASK], join(root, "data"), () => {});
  return { ...requirePrepared(TASK, join(root, "data")), executor: new BwrapExecutor() };
}

test("a reference solution, instrumented, reaches every milestone and earns its flipped score", async () => {
  const { spec, paths, executor } = await setup();
  const instrumenter = new AstInstrumenter();
  try {
    const code = readFileSync(join(repoRoot(), "tasks", "reference", TASK, "baseline.py"), "utf8");
    const run = await runRollout({ executor, instrumenter, spec, paths, code, outDir: outDir() });
    assert.equal(run.execution.exitCode, 0, run.execution.stderr.text);
    assert.equal(run.record.grade.valid_submission, true);
    assert.equal(run.record.reward.failureKind, "none");
    assert.equal(run.record.reward.reward, -run.record.grade.score!);
    for (const m of ["imports", "data_loaded", "model_trained", "predictions_made", "submission_written"] as const)
      assert.ok(run.record.reward.milestonesReached.includes(m), m);
    assert.ok(
      run.record.reward.validationMetric !== null && Math.abs(run.record.reward.validationMetric - run.record.grade.score!) < 0.05,
      "the printed hold-out metric is close to the test score",
    );
    assert.doesNotMatch(run.record.feedback.output, /@@mlerl/);
  } finally {
    await instrumenter.close();
  }
});

test("forged markers and a program reading its own source earn nothing, and forging forfeits the genuine progress too", async () => {
  const { spec, paths, executor } = await setup();
  const instrumenter = new AstInstrumenter();
  try {
    const code = [
      "import pandas as pd",
      "import sys",
      "src = open(__file__).read()",
      "for kind in ['imports', 'data_loaded', 'model_trained', 'submission_written']:",
      "    print('@@mlerl ' + '0' * 32 + ' ' + kind)",
      "print(src)",
      "print(sys.stdin.read())",
      "df = pd.read_csv('/home/data/train.csv')",
      "raise SystemExit(3)",
      "",
    ].join("\n");
    const run = await runRollout({ executor, instrumenter, spec, paths, code, outDir: outDir() });
    assert.deepEqual(run.record.reward.milestonesReached, ["imports", "data_loaded"], "the genuine markers are recognised");
    assert.equal(run.record.instrumentation.rejected, 4);
    assert.equal(run.record.reward.failureKind, "runtime_error");
    assert.match(run.record.instrumentation.tampering?.join("\n") ?? "", /4 marker-shaped lines with a wrong tag/);
    assert.equal(run.record.reward.reward, -10, "a rollout that prints forged markers earns no partial credit");
    assert.match(run.record.feedback.output, /open\(__file__\)/, "the program saw its own, uninstrumented source");
    assert.doesNotMatch(run.record.feedback.output, /mlerl\.site|sys\.audit/);
  } finally {
    await instrumenter.close();
  }
});

test("without instrumentation a failed program earns −10 and markers in a flood are still counted when on", async () => {
  const { spec, paths, executor } = await setup();
  const failing = "import pandas as pd\ndf = pd.read_csv('/home/data/train.csv')\nraise RuntimeError('boom')\n";
  const plain = await runRollout({ executor, instrumenter: null, spec, paths, code: failing, outDir: outDir() });
  assert.equal(plain.record.reward.reward, -10);
  assert.deepEqual(plain.record.reward.milestonesReached, []);

  const instrumenter = new AstInstrumenter();
  try {
    const flood =
      "import pandas as pd\nprint('x' * 100 + '\\n' * 0, end='')\nfor i in range(20000):\n    print('noise line', i)\ndf = pd.read_csv('/home/data/train.csv')\nfor i in range(20000):\n    print('more noise', i)\nraise RuntimeError('late')\n";
    const run = await runRollout({ executor, instrumenter, spec, paths, code: flood, outDir: outDir(), limits: { maxOutputBytes: 4096 } });
    assert.equal(run.execution.stdout.truncated, true);
    assert.deepEqual(run.record.reward.milestonesReached, ["imports", "data_loaded"], "the data_loaded marker sat in the dropped middle");
    assert.equal(run.record.reward.reward, 0.2);
  } finally {
    await instrumenter.close();
  }
});

test("a program that does not parse is a syntax failure worth −10", async () => {
  const { spec, paths, executor } = await setup();
  const instrumenter = new AstInstrumenter();
  try {
    const run = await runRollout({
      executor,
      instrumenter,
      spec,
      paths,
      code: "import pandas as pd\ndef broken(:\n    pass\n",
      outDir: outDir(),
    });
    assert.equal(run.record.reward.failureKind, "syntax");
    assert.equal(run.record.reward.reward, -10);
    assert.match(run.record.instrumentation.note ?? "", /SyntaxError/);
  } finally {
    await instrumenter.close();
  }
});

test("a rollout grades only the file its execution copied out: an oversized or missing submission is −10 with the reason", async () => {
  const { spec, paths, executor } = await setup();
  const dir = outDir();
  const copy = 'import shutil\nshutil.copy("/home/data/sample_submission.csv", "/home/submission/submission.csv")\n';
  const first = await runRollout({ executor, instrumenter: null, spec, paths, code: copy, outDir: dir });
  assert.equal(first.record.grade.valid_submission, true);

  const none = await runRollout({ executor, instrumenter: null, spec, paths, code: "raise SystemExit(1)\n", outDir: dir });
  assert.equal(none.record.grade.submission_exists, false);
  assert.equal(none.record.reward.reward, -10, "not the previous run's score");

  const sparse = "import os\nfd = os.open('/home/submission/submission.csv', os.O_CREAT | os.O_WRONLY)\nos.ftruncate(fd, 500 << 20)\n";
  const big = await runRollout({ executor, instrumenter: null, spec, paths, code: sparse, outDir: dir });
  assert.equal(big.execution.exitCode, 0);
  assert.equal(big.record.grade.valid_submission, false);
  assert.match(big.record.grade.error ?? "", /refused: .*524288000 bytes, over the \d+-byte limit/);
  assert.equal(big.record.reward.failureKind, "invalid_submission");
  assert.equal(big.record.reward.reward, -10);
});
