import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadTemplates, renderScratch } from "../../src/agent/prompts.js";
import { METRIC_LABELS, scratchInputOf, testTimeTaskOf } from "../../src/agent/task-prompt.js";
import { BUILTIN_SEED, BUILTIN_TASKS } from "../../src/tasks/builtin/index.js";
import { MetricName } from "../../src/core/task.js";
import { requireAgentPython } from "../../src/runtime/venv.js";
import { tempDir } from "./tmp.js";

test("every metric has a label for the agent", () => {
  for (const m of MetricName.options) assert.ok(METRIC_LABELS[m].length > 0, m);
});

test("scratch prompts for every built-in task: bounded overview, true row counts, nothing from private/", async () => {
  const root = tempDir("mlerl-taskprompt-");
  const templates = loadTemplates();
  const tables: { task: string; file: string; path: string }[] = [];
  const overviews = new Map<string, string>();
  for (const task of BUILTIN_TASKS) {
    const dirs = { publicDir: join(root, task.spec.id, "public"), privateDir: join(root, task.spec.id, "private") };
    mkdirSync(dirs.publicDir, { recursive: true });
    mkdirSync(dirs.privateDir, { recursive: true });
    await task.generate(dirs, BUILTIN_SEED);
    const input = await scratchInputOf(task.spec, dirs.publicDir, { timeLimitSec: 90, overview: { maxChars: 5000 } });
    assert.ok(input.dataOverview.length <= 5000, task.spec.id);
    overviews.set(task.spec.id, input.dataOverview);
    const prompt = renderScratch(templates, input);
    assert.ok(prompt.includes(task.spec.description.trim()), `${task.spec.id}: description`);
    assert.ok(prompt.includes("1 minute 30 seconds"));
    assert.ok(prompt.includes(METRIC_LABELS[task.spec.metric]));
    assert.equal(testTimeTaskOf(task.spec).lowerIsBetter, task.spec.lowerIsBetter);
    // No row of any private file appears in the overview.
    for (const f of readdirSync(dirs.privateDir)) {
      const rows = readFileSync(join(dirs.privateDir, f), "utf8")
        .split("\n")
        .slice(1, 30)
        .filter((l) => l.length > 8);
      for (const row of rows) assert.ok(!input.dataOverview.includes(row), `${task.spec.id}: private row of ${f} leaked`);
    }
    for (const f of ["train.csv", "test.csv", "sample_submission.csv"]) {
      if (input.dataOverview.includes(`\n${f}: `)) tables.push({ task: task.spec.id, file: f, path: join(dirs.publicDir, f) });
    }
  }
  assert.ok(tables.length >= BUILTIN_TASKS.length * 2, "train and test previews at least");
  // Row counts in the overview agree with pandas.
  const py = requireAgentPython();
  const script = "import json, sys, pandas as pd\nprint(json.dumps([len(pd.read_csv(p)) for p in json.load(sys.stdin)]))";
  const r = spawnSync(py.python, ["-c", script], { input: JSON.stringify(tables.map((t) => t.path)), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const counts = JSON.parse(r.stdout) as number[];
  tables.forEach((t, i) => {
    const expected = `\n${t.file}: ${counts[i]!.toLocaleString("en-US")} rows, `;
    assert.ok(overviews.get(t.task)!.includes(expected), `${t.task}/${t.file}: expected ${expected.trim()}`);
  });
});
