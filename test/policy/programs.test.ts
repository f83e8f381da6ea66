import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderProgram } from "../../src/policy/render.js";
import { failureStage } from "../../src/run/survey.js";
import { Vocabulary } from "../../src/policy/vocab.js";
import { UnsandboxedExecutor } from "../../src/sandbox/index.js";
import { gradeSubmission } from "../../src/grading/index.js";
import { prepareTasks, requirePrepared, BUILTIN_TASK_IDS } from "../../src/tasks/registry.js";

// Real programs from the fragment library, run with the agent venv on the built-in tasks' generated data.
const vocab = new Vocabulary();
const ids = (names: string[]) => [...names.map((n) => vocab.id(n)), vocab.id("<end>")];
const FAST_TABULAR = [
  "imports.full",
  "load.full",
  "features.tabular_scaled",
  "model.logreg",
  "valid.holdout",
  "fit.full",
  "predict.scores",
  "write.submission",
];
const WELL_FORMED: Record<string, string[]> = {
  "mini-tabular-playground-series-may-2022": FAST_TABULAR,
  "mini-tabular-playground-series-dec-2021": FAST_TABULAR,
  "mini-nomad2018-predict-transparent-conductors": FAST_TABULAR,
  "mini-leaf-classification": FAST_TABULAR,
  "mini-spooky-author-identification": [
    "imports.full",
    "load.full",
    "features.tfidf_word",
    "model.logreg",
    "valid.holdout",
    "fit.full",
    "predict.scores",
    "write.submission",
  ],
  "mini-tweet-sentiment-extraction": [
    "imports.full",
    "load.full",
    "features.span_words",
    "model.logreg",
    "valid.holdout",
    "fit.full",
    "predict.scores",
    "write.from_sample",
  ],
};

async function runAll<T>(items: T[], f: (x: T) => Promise<void>, k = 2): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

test("a well-formed fast program per built-in task writes a valid submission and prints its validation metric", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mlerl-programs-data-"));
  const outRoot = mkdtempSync(join(tmpdir(), "mlerl-programs-out-"));
  try {
    await prepareTasks([...BUILTIN_TASK_IDS], dataDir, () => {});
    const executor = new UnsandboxedExecutor();
    await runAll([...BUILTIN_TASK_IDS], async (id) => {
      const { spec, paths } = requirePrepared(id, dataDir);
      const names = WELL_FORMED[id];
      assert.ok(names, `no well-formed program listed for ${id}`);
      const code = renderProgram(spec, vocab, ids(names));
      const res = await executor.run({ code, publicDir: paths.publicDir, outDir: join(outRoot, id), limits: { timeoutSec: 120 } });
      assert.equal(res.exitCode, 0, `${id}: ${res.stderr.text.slice(-800)}`);
      assert.match(res.stdout.text, new RegExp(`validation ${spec.metric}: [0-9.]+`), `${id} printed no validation metric`);
      assert.ok(res.submissionPath, `${id}: no submission`);
      const report = gradeSubmission(spec, paths, res.submissionPath);
      assert.equal(report.valid_submission, true, `${id}: ${report.error}`);
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outRoot, { recursive: true, force: true });
  }
});

test("the printed validation metric is the one of the predictions the program submits", async () => {
  // Hard labels on a log-loss task score far worse than probabilities: the metric must follow the submission.
  const dataDir = mkdtempSync(join(tmpdir(), "mlerl-programs-data-"));
  const outRoot = mkdtempSync(join(tmpdir(), "mlerl-programs-out-"));
  try {
    const id = "mini-leaf-classification";
    await prepareTasks([id], dataDir, () => {});
    const { spec, paths } = requirePrepared(id, dataDir);
    const executor = new UnsandboxedExecutor();
    const measured: Record<string, { printed: number; test: number }> = {};
    const variants = ["predict.scores", "predict.hard"].flatMap((p) => ["valid.holdout", "valid.cv3"].map((v) => [v, p] as const));
    await runAll(variants, async ([valid, predict]) => {
      const names = [
        "imports.full",
        "load.full",
        "features.tabular_scaled",
        "model.logreg",
        valid,
        "fit.full",
        predict,
        "write.submission",
      ];
      const res = await executor.run({
        code: renderProgram(spec, vocab, ids(names)),
        publicDir: paths.publicDir,
        outDir: join(outRoot, `${valid}-${predict}`),
        limits: { timeoutSec: 120 },
      });
      assert.equal(res.exitCode, 0, res.stderr.text.slice(-800));
      const printed = [...res.stdout.text.matchAll(/validation multiclass_log_loss: ([0-9.]+)/g)].map((m) => Number(m[1]));
      assert.equal(printed.length, 1, `one metric line, after the predictions: ${res.stdout.text}`);
      assert.ok(res.stdout.text.indexOf("validation") > res.stdout.text.indexOf("features"), "printed after the model was fitted");
      const report = gradeSubmission(spec, paths, res.submissionPath!);
      assert.equal(report.valid_submission, true, report.error ?? "");
      measured[`${valid} ${predict}`] = { printed: printed[0]!, test: report.score! };
    });
    for (const [name, m] of Object.entries(measured)) {
      // Validation and test rows differ, so the two scores differ; but they are the same kind of predictions.
      assert.ok(Math.abs(Math.log(m.printed / m.test)) < Math.log(2), `${name}: printed ${m.printed}, submitted ${m.test}`);
    }
    assert.ok(measured["valid.holdout predict.hard"]!.printed > 3 * measured["valid.holdout predict.scores"]!.printed);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outRoot, { recursive: true, force: true });
  }
});

test("misplaced or ill-fitting fragments fail at the stage they belong to", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mlerl-programs-data-"));
  const outRoot = mkdtempSync(join(tmpdir(), "mlerl-programs-out-"));
  try {
    const id = "mini-nomad2018-predict-transparent-conductors";
    await prepareTasks([id], dataDir, () => {});
    const { spec, paths } = requirePrepared(id, dataDir);
    const cases: Array<[string[], string]> = [
      // Span features on a task that is not a span task: the span helpers are not there.
      [["imports.full", "load.full", "features.span_words", "model.logreg", "fit.full", "predict.scores", "write.submission"], "features"],
      // No features at all: fitting refers to X that was never built.
      [["imports.full", "load.full", "model.logreg", "fit.full", "predict.scores", "write.submission"], "fit"],
      // A classifier-only family on a regression task.
      [["imports.full", "load.full", "features.tabular", "model.naive_bayes", "fit.full", "predict.scores", "write.submission"], "fit"],
      // Validation before any model is defined.
      [
        ["imports.basic", "load.full", "features.tabular", "valid.cv3", "model.logreg", "fit.full", "predict.scores", "write.submission"],
        "valid",
      ],
    ];
    const executor = new UnsandboxedExecutor();
    await runAll(
      cases.map((c, i) => [c, i] as const),
      async ([[names, stage], i]) => {
        const code = renderProgram(spec, vocab, ids(names));
        const res = await executor.run({ code, publicDir: paths.publicDir, outDir: join(outRoot, `c${i}`), limits: { timeoutSec: 60 } });
        assert.notEqual(res.exitCode, 0, `case ${i} should fail`);
        assert.equal(failureStage(code, res.stderr.text, "program.py").stage, stage, `case ${i}: ${res.stderr.text.slice(-400)}`);
      },
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outRoot, { recursive: true, force: true });
  }
});
