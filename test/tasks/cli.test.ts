import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const bin = new URL("../../bin/mlerl", import.meta.url).pathname;
const run = (dataDir: string, ...args: string[]) => spawnSync(bin, ["--data-dir", dataDir, ...args], { encoding: "utf8" });

const Listing = z.array(
  z.object({
    id: z.string(),
    source: z.enum(["builtin", "mlebench"]),
    metric: z.string(),
    lower_is_better: z.boolean(),
    prepared: z.boolean(),
  }),
);

test("mlerl tasks list/prepare/show work end to end on a fresh data dir", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-cli-"));
  const before = Listing.parse(JSON.parse(run(dir, "tasks", "list", "--json").stdout));
  assert.equal(before.filter((t) => t.source === "mlebench").length, 12);
  assert.ok(before.every((t) => !t.prepared));
  const leaf = before.find((t) => t.id === "leaf-classification")!;
  assert.deepEqual([leaf.metric, leaf.lower_is_better], ["multiclass_log_loss", true]);

  const prep = run(dir, "tasks", "prepare", "mini-nomad2018-predict-transparent-conductors");
  assert.equal(prep.status, 0, prep.stderr);
  assert.match(prep.stderr, /mini-nomad2018-predict-transparent-conductors: generated/);
  const after = Listing.parse(JSON.parse(run(dir, "tasks", "list", "--json").stdout));
  assert.equal(after.find((t) => t.id === "mini-nomad2018-predict-transparent-conductors")?.prepared, true);

  const show = run(dir, "tasks", "show", "mini-nomad2018-predict-transparent-conductors");
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /mean_column_rmsle \(lower is better\)/);
  assert.match(show.stdout, /train\.csv/);
  assert.match(show.stdout, /private dir: .*prepared\/private/);
});

test("mlerl tasks show with an unknown id fails with a message and a fix, not a stack trace", () => {
  const r = run(mkdtempSync(join(tmpdir(), "mlerl-cli-")), "tasks", "show", "tabular-playground-series-may-2020");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown task 'tabular-playground-series-may-2020' \(did you mean/);
  assert.match(r.stderr, /fix: /);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

const SplitJson = z.object({
  prepared: z.boolean(),
  split: z
    .object({
      report_fraction: z.number(),
      salt: z.string(),
      id_column: z.string(),
      counts: z.object({ reward: z.number().int(), report: z.number().int() }),
      reward_ids: z.array(z.string()),
      report_ids: z.array(z.string()),
    })
    .nullable(),
  split_error: z.string().nullable(),
});

test("mlerl tasks show lists the ids of each part of the answers split, for built-in and MLE-bench tasks", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlerl-cli-"));
  const id = "mini-nomad2018-predict-transparent-conductors";
  const unprepared = SplitJson.parse(JSON.parse(run(dir, "tasks", "show", id, "--json").stdout));
  assert.equal(unprepared.split, null);
  assert.match(unprepared.split_error ?? "", /not prepared/);
  assert.equal(run(dir, "tasks", "prepare", id).status, 0);

  const shown = SplitJson.parse(JSON.parse(run(dir, "tasks", "show", id, "--json").stdout));
  const split = shown.split!;
  const answers = readFileSync(join(dir, id, "prepared", "private", "test.csv"), "utf8")
    .trim()
    .split("\n");
  const idCol = answers[0]!.split(",").indexOf(split.id_column);
  const ids = answers.slice(1).map((l) => l.split(",")[idCol]!);
  // Every answer id in exactly one part; counts as listed.
  assert.deepEqual([...split.reward_ids, ...split.report_ids].sort(), [...ids].sort());
  assert.equal(new Set(split.reward_ids.filter((x) => split.report_ids.includes(x))).size, 0);
  assert.deepEqual(split.counts, { reward: split.reward_ids.length, report: split.report_ids.length });
  assert.deepEqual([split.report_fraction, split.salt], [0.5, "split-v1"]);

  const text = run(dir, "tasks", "show", id);
  assert.match(
    text.stdout,
    new RegExp(
      `^split: +${split.counts.reward} reward / ${split.counts.report} report test rows by id \\(report fraction 0\\.5, salt split-v1\\)`,
      "m",
    ),
  );
  const salted = SplitJson.parse(
    JSON.parse(run(dir, "tasks", "show", id, "--json", "--split-salt", "b", "--report-fraction", "0.3").stdout),
  );
  assert.notDeepEqual(salted.split!.report_ids, split.report_ids);
  assert.ok(salted.split!.counts.report < split.counts.report, "a report fraction of 0.3 holds out fewer ids than 0.5");
  const bad = run(dir, "tasks", "show", id, "--report-fraction", "1.5");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--report-fraction must be a number strictly between 0 and 1, got '1\.5'/);

  // An MLE-bench competition laid out as `mlebench prepare` leaves it: the same split over its answers file.
  const comp = "lmsys-chatbot-arena";
  const pub = join(dir, comp, "prepared", "public");
  const priv = join(dir, comp, "prepared", "private");
  mkdirSync(pub, { recursive: true });
  mkdirSync(priv, { recursive: true });
  writeFileSync(join(pub, "description.md"), "# LMSYS\n");
  const rows = Array.from({ length: 50 }, (_, i) => `${1000 + i},1,0,0`);
  writeFileSync(join(priv, "answers.csv"), `id,winner_model_a,winner_model_b,winner_tie\n${rows.join("\n")}\n`);
  const mle = SplitJson.parse(JSON.parse(run(dir, "tasks", "show", comp, "--json").stdout));
  assert.equal(mle.prepared, true);
  assert.equal(mle.split!.counts.reward + mle.split!.counts.report, 50);
  assert.ok(mle.split!.report_ids.every((x) => /^10\d\d$/.test(x)));
});
