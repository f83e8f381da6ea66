import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { BUILTIN_TASK_IDS, getTask, listTasks, prepareTasks, requirePrepared, taskPaths } from "../../src/tasks/registry.js";
import { TaskSpec } from "../../src/core/task.js";

const tmp = () => mkdtempSync(join(tmpdir(), "mlerl-registry-"));

/** The paper's 12 competitions: metric and direction from the MLE-bench reference table. */
const PAPER: Record<string, [string, boolean, string]> = {
  "detecting-insults-in-social-commentary": ["roc_auc", false, "test.csv"],
  "learning-agency-lab-automated-essay-scoring-2": ["quadratic_weighted_kappa", false, "answers.csv"],
  "random-acts-of-pizza": ["roc_auc", false, "test.csv"],
  "tweet-sentiment-extraction": ["word_jaccard", false, "test.csv"],
  "tabular-playground-series-may-2022": ["roc_auc", false, "test.csv"],
  "tabular-playground-series-dec-2021": ["accuracy", false, "test.csv"],
  "us-patent-phrase-to-phrase-matching": ["pearson", false, "test.csv"],
  "plant-pathology-2020-fgvc7": ["mean_column_roc_auc", false, "test.csv"],
  "leaf-classification": ["multiclass_log_loss", true, "test.csv"],
  "nomad2018-predict-transparent-conductors": ["mean_column_rmsle", true, "test.csv"],
  "spooky-author-identification": ["multiclass_log_loss", true, "test.csv"],
  "lmsys-chatbot-arena": ["multiclass_log_loss", true, "answers.csv"],
};

test("all 12 MLE-bench competitions of the paper are registered with their metric, direction, answers file and thresholds", () => {
  const listing = listTasks(tmp()).filter((t) => t.source === "mlebench");
  assert.deepEqual(listing.map((t) => t.spec.id).sort(), Object.keys(PAPER).sort());
  for (const t of listing) {
    const [metric, lower, answers] = PAPER[t.spec.id]!;
    TaskSpec.parse(t.spec);
    assert.equal(t.spec.metric, metric, t.spec.id);
    assert.equal(t.spec.lowerIsBetter, lower, t.spec.id);
    assert.equal(t.spec.answersFile, answers, t.spec.id);
    assert.equal(t.prepared, false);
    const th = t.spec.thresholds!;
    // medals are ordered in the metric's direction
    const atLeastAsGood = (a: number, b: number) => (lower ? a <= b : a >= b);
    assert.ok(atLeastAsGood(th.gold, th.silver) && atLeastAsGood(th.silver, th.bronze) && atLeastAsGood(th.bronze, th.median), t.spec.id);
  }
  const leaf = listing.find((t) => t.spec.id === "leaf-classification")!.spec;
  assert.equal(leaf.submissionColumns.length, 100);
  assert.equal(
    getTask("nomad2018-predict-transparent-conductors", tmp()).submissionColumns.join(","),
    "id,formation_energy_ev_natom,bandgap_energy_ev",
  );
});

test("every built-in task is listed with a valid spec and its MLE-bench competition", () => {
  const all = listTasks(tmp());
  for (const id of BUILTIN_TASK_IDS) {
    const t = all.find((x) => x.spec.id === id)!;
    TaskSpec.parse(t.spec);
    assert.equal(t.source, "builtin");
    assert.equal(t.spec.id, `mini-${t.spec.competition}`);
    const real = all.find((x) => x.spec.id === t.spec.competition)!.spec;
    assert.equal(t.spec.metric, real.metric);
    assert.equal(t.spec.lowerIsBetter, real.lowerIsBetter);
    assert.equal(t.spec.idColumn, real.idColumn);
    assert.deepEqual(t.spec.submissionColumns, real.submissionColumns);
    // the real competition's schema lists the same columns (only row counts differ)
    assert.deepEqual(
      real.schema?.columns.map((c) => c.name),
      t.spec.schema?.columns.map((c) => c.name),
      id,
    );
    assert.ok((real.schema?.trainRows ?? 0) > 0);
  }
});

test("taskPaths follows MLE-bench's <data-dir>/<id>/prepared/{public,private} layout", () => {
  const p = taskPaths("leaf-classification", "/data");
  assert.deepEqual(p, {
    root: "/data/leaf-classification",
    publicDir: "/data/leaf-classification/prepared/public",
    privateDir: "/data/leaf-classification/prepared/private",
  });
});

test("a typo in a task id is a UserError that suggests the closest id and lists the known ones", () => {
  assert.throws(
    () => getTask("leaf-clasification", tmp()),
    (e: unknown) =>
      e instanceof UserError &&
      /did you mean 'leaf-classification'/.test(e.message) &&
      e.message.includes("mini-tabular-playground-series-may-2022"),
  );
  assert.throws(() => requirePrepared("nope", tmp()), UserError);
});

test("requirePrepared says how to prepare a missing task, for each source", () => {
  const dir = tmp();
  assert.throws(
    () => requirePrepared("mini-leaf-classification", dir),
    (e: unknown) => e instanceof UserError && /tasks prepare mini-leaf-classification/.test(e.hint ?? ""),
  );
  assert.throws(
    () => requirePrepared("random-acts-of-pizza", dir),
    (e: unknown) =>
      e instanceof UserError && /prepare it with mlebench prepare into DATA_DIR/.test(e.hint ?? "") && (e.hint ?? "").includes(dir),
  );
});

test("prepareTasks refuses MLE-bench competitions and unknown ids", async () => {
  const dir = tmp();
  await assert.rejects(
    prepareTasks(["tabular-playground-series-may-2022"], dir, () => {}),
    (e: unknown) => e instanceof UserError && /mini-tabular-playground-series-may-2022/.test(e.hint ?? ""),
  );
  await assert.rejects(
    prepareTasks(["mini-nothing"], dir, () => {}),
    UserError,
  );
});

function fakePrepared(dataDir: string, id: string): ReturnType<typeof taskPaths> {
  const paths = taskPaths(id, dataDir);
  mkdirSync(paths.publicDir, { recursive: true });
  mkdirSync(paths.privateDir, { recursive: true });
  writeFileSync(join(paths.publicDir, "description.md"), `# ${id}\n\nThe real description.\n`);
  writeFileSync(join(paths.publicDir, "sample_submission.csv"), "id,target\n1,0.5\n");
  return paths;
}

test("a prepared MLE-bench dir is detected and its description is read from public/description.md", () => {
  const dir = tmp();
  fakePrepared(dir, "tabular-playground-series-may-2022");
  const t = listTasks(dir).find((x) => x.spec.id === "tabular-playground-series-may-2022")!;
  assert.equal(t.prepared, true);
  assert.match(t.spec.description, /The real description/);
  const { spec } = requirePrepared("tabular-playground-series-may-2022", dir);
  assert.match(spec.description, /The real description/);
  assert.ok(spec.publicFiles.includes("sample_submission.csv"));
  // without a leaderboard the reference table applies
  assert.equal(spec.thresholds?.gold, 0.99823);
});

/** MLE-bench's position rule for fewer than 100 teams, written out for this test. */
function expectedSmall(scores: number[]) {
  const n = scores.length;
  const at = (p: number) => scores[Math.max(1, Math.floor(p)) - 1]!;
  const sorted = [...scores].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { gold: at(0.1 * n), silver: at(0.2 * n), bronze: at(0.4 * n), median };
}

test("a leaderboard.csv in public/ or its parent overrides the threshold table", () => {
  const scores = Array.from({ length: 37 }, (_, i) => Math.round((0.95 - i * 0.004) * 1e5) / 1e5);
  const csv = `teamId,score\n${scores.map((s, i) => `${i},${s}`).join("\n")}\n`;
  for (const where of ["public", "parent"] as const) {
    const dir = tmp();
    const paths = fakePrepared(dir, "random-acts-of-pizza");
    writeFileSync(join(where === "public" ? paths.publicDir : join(paths.publicDir, ".."), "leaderboard.csv"), csv);
    const spec = getTask("random-acts-of-pizza", dir);
    assert.deepEqual(spec.thresholds, expectedSmall(scores), where);
    assert.notEqual(spec.thresholds?.gold, 0.97908);
  }
});

test("a leaderboard.csv without scores is a UserError naming the file", () => {
  const dir = tmp();
  const paths = fakePrepared(dir, "random-acts-of-pizza");
  writeFileSync(join(paths.publicDir, "leaderboard.csv"), "teamId,points\n1,3\n");
  assert.throws(
    () => getTask("random-acts-of-pizza", dir),
    (e: unknown) => e instanceof UserError && e.message.includes("leaderboard.csv"),
  );
  // listing every task still works and shows the competition as prepared
  assert.equal(listTasks(dir).find((t) => t.spec.id === "random-acts-of-pizza")?.prepared, true);
});
