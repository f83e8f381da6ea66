import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
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
