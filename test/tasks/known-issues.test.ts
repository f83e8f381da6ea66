import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { requirePrepared, taskPaths } from "../../src/tasks/registry.js";
import { KnownIssue, knownIssueLines, knownIssues } from "../../src/tasks/known-issues.js";
import { sandboxUnavailable } from "../sandbox/helpers.js";

const bin = new URL("../../bin/mlerl", import.meta.url).pathname;
const dirs: string[] = [];
process.on("exit", () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PIZZA = "random-acts-of-pizza";

/**
 * random-acts-of-pizza as `mlebench prepare` leaves it: train.json / test.json (lists of request objects, the
 * test ones with giver_username_if_known set exactly when the request got a pizza), their zips, the sample
 * submission and the answers.
 */
function preparePizza(n = 40) {
  const dataDir = mkdtempSync(join(tmpdir(), "mlerl-pizza-"));
  dirs.push(dataDir);
  const paths = taskPaths(PIZZA, dataDir);
  mkdirSync(paths.publicDir, { recursive: true });
  mkdirSync(paths.privateDir, { recursive: true });
  const requests = Array.from({ length: n }, (_, i) => ({
    request_id: `t3_${i.toString(36)}x`,
    request_title: `Request ${i}`,
    request_text_edit_aware: i % 3 ? "hungry student" : "pay it forward",
    requester_account_age_in_days_at_request: i * 1.5,
    giver_username_if_known: i % 4 === 0 ? `giver${i}` : "N/A",
    got: i % 4 === 0 ? 1 : 0,
  }));
  const train = requests.slice(0, n / 2).map(({ got, ...r }) => ({ ...r, requester_received_pizza: got === 1 }));
  const test = requests.slice(n / 2).map(({ got: _got, ...r }) => r);
  writeFileSync(join(paths.publicDir, "train.json"), JSON.stringify(train, null, 4));
  writeFileSync(join(paths.publicDir, "test.json"), JSON.stringify(test, null, 4));
  writeFileSync(join(paths.publicDir, "train.zip"), "PK\u0003\u0004 zipped train.json with the leaking field");
  writeFileSync(join(paths.publicDir, "test.zip"), "PK\u0003\u0004 zipped test.json with the leaking field");
  writeFileSync(join(paths.publicDir, "description.md"), "# Random Acts of Pizza\n\ngiver_username_if_known: the giver, if known.\n");
  const sample = ["request_id,requester_received_pizza", ...test.map((r) => `${r.request_id},0`)].join("\n");
  writeFileSync(join(paths.publicDir, "sampleSubmission.csv"), `${sample}\n`);
  const answers = ["request_id,requester_received_pizza", ...requests.slice(n / 2).map((r) => `${r.request_id},${r.got}`)].join("\n");
  writeFileSync(join(paths.privateDir, "test.csv"), `${answers}\n`);
  return { dataDir, paths, train, test };
}

const Records = z.array(z.record(z.string(), z.unknown()));

test("the registry knows pizza's label leak and the crowded tabular-playground leaderboards", () => {
  const pizza = knownIssues(PIZZA).map((i) => KnownIssue.parse(i));
  assert.equal(pizza.length, 1);
  assert.equal(pizza[0]!.kind, "label-leak");
  assert.equal(pizza[0]!.leakyField?.name, "giver_username_if_known");
  assert.match(pizza[0]!.source, /#108/);
  for (const id of ["tabular-playground-series-may-2022", "tabular-playground-series-dec-2021"]) {
    assert.deepEqual(
      knownIssues(id).map((i) => i.kind),
      ["crowded-leaderboard"],
    );
    assert.match(knownIssueLines(id)[0]!, new RegExp(`^${id}: crowded leaderboard: .*Known Issues`));
  }
  assert.deepEqual(knownIssues("leaf-classification"), []);
  assert.deepEqual(knownIssues("mini-tabular-playground-series-may-2022"), [], "the mini task has its own calibrated thresholds");
});

test("pizza's agent files lack giver_username_if_known (and the zips that hold it); public/ is untouched; keeping it is an option", () => {
  const { dataDir, paths, train, test } = preparePizza();
  const before = readFileSync(join(paths.publicDir, "test.json"), "utf8");
  const { paths: agent, spec } = requirePrepared(PIZZA, dataDir);
  assert.notEqual(agent.publicDir, paths.publicDir);
  assert.equal(agent.privateDir, paths.privateDir, "grading reads the same answers");
  const seen = readdirSync(agent.publicDir).sort();
  assert.deepEqual(seen, ["description.md", "sampleSubmission.csv", "test.json", "train.json"]);
  assert.deepEqual(spec.publicFiles, seen);
  for (const [name, original] of [
    ["train.json", train],
    ["test.json", test],
  ] as const) {
    const records = Records.parse(JSON.parse(readFileSync(join(agent.publicDir, name), "utf8")));
    assert.equal(records.length, original.length);
    assert.ok(
      records.every((r) => !("giver_username_if_known" in r)),
      `${name}: the leaking field is gone`,
    );
    // Every other field is kept, value for value.
    assert.deepEqual(
      records,
      original.map(({ giver_username_if_known: _g, ...r }) => r),
    );
  }
  assert.match(readFileSync(join(agent.publicDir, "description.md"), "utf8"), /`giver_username_if_known` has been removed/);
  assert.equal(readFileSync(join(paths.publicDir, "test.json"), "utf8"), before, "MLE-bench's public/ is not modified");
  assert.ok(
    Records.parse(JSON.parse(before)).some((r) => r.giver_username_if_known !== "N/A"),
    "the fixture does leak",
  );

  // The view is reused while public/ is unchanged, and rebuilt when it changes.
  const stamp = readdirSync(join(paths.publicDir, "..")).find((f) => f.endsWith(".json"));
  assert.ok(stamp, "a stamp beside the view");
  assert.equal(requirePrepared(PIZZA, dataDir).paths.publicDir, agent.publicDir);
  const changed = test.slice(0, 3);
  writeFileSync(join(paths.publicDir, "test.json"), JSON.stringify(changed));
  utimesSync(join(paths.publicDir, "test.json"), new Date(), new Date(Date.now() + 5000));
  const rebuilt = Records.parse(JSON.parse(readFileSync(join(requirePrepared(PIZZA, dataDir).paths.publicDir, "test.json"), "utf8")));
  assert.equal(rebuilt.length, 3);
  assert.ok(rebuilt.every((r) => !("giver_username_if_known" in r)));

  // Keeping the field: the agent gets public/ itself.
  assert.equal(requirePrepared(PIZZA, dataDir, { keepLeakyFields: true }).paths.publicDir, paths.publicDir);
});

test("a task without a leak is shown its public/ as it is", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mlerl-tps-"));
  dirs.push(dataDir);
  const paths = taskPaths("tabular-playground-series-may-2022", dataDir);
  mkdirSync(paths.publicDir, { recursive: true });
  mkdirSync(paths.privateDir, { recursive: true });
  writeFileSync(join(paths.publicDir, "description.md"), "# TPS\n");
  assert.equal(requirePrepared("tabular-playground-series-may-2022", dataDir).paths.publicDir, paths.publicDir);
  assert.ok(!existsSync(join(paths.publicDir, "..", "public-without-leaks")));
});

test("a leaking file that is not a JSON array of objects is a user error naming the file and the way out", () => {
  const { dataDir, paths } = preparePizza();
  writeFileSync(join(paths.publicDir, "train.json"), "{not json");
  const r = spawnSync(bin, ["--data-dir", dataDir, "prompt", "--task", PIZZA], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /cannot remove the leaking field 'giver_username_if_known' from .*train\.json/);
  assert.match(r.stderr, /MLERL_KEEP_LEAKY_COLUMNS=1/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

test("`mlerl tasks show` prints the known issues and where the agent's files are", () => {
  const { dataDir } = preparePizza();
  const r = spawnSync(bin, ["--data-dir", dataDir, "tasks", "show", PIZZA], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^known issue: {2}label leak: `giver_username_if_known` leaks the label.*#108.*MLERL_KEEP_LEAKY_COLUMNS=1/m);
  assert.match(r.stdout, /^agent sees: {3}.*public-without-leaks/m);
  const tps = spawnSync(bin, ["--data-dir", dataDir, "tasks", "show", "tabular-playground-series-dec-2021", "--json"], {
    encoding: "utf8",
  });
  assert.equal(tps.status, 0, tps.stderr);
  const json = z.object({ known_issues: z.array(KnownIssue) }).parse(JSON.parse(tps.stdout));
  assert.deepEqual(
    json.known_issues.map((i) => i.kind),
    ["crowded-leaderboard"],
  );
});

test("in the real sandbox, a program on pizza reads test.json without the leaking field", { skip: sandboxUnavailable }, () => {
  const { dataDir } = preparePizza();
  const work = mkdtempSync(join(tmpdir(), "mlerl-pizza-run-"));
  dirs.push(work);
  const code = join(work, "probe.py");
  writeFileSync(
    code,
    [
      "import json, os",
      "test = json.load(open('/home/data/test.json'))",
      "train = json.load(open('/home/data/train.json'))",
      "print('LEAK' if any('giver_username_if_known' in r for r in test + train) else 'CLEAN', sorted(os.listdir('/home/data')))",
      "with open('/home/submission/submission.csv', 'w') as f:",
      "    f.write('request_id,requester_received_pizza\\n')",
      "    for i, r in enumerate(test):",
      "        f.write(f\"{r['request_id']},{i / len(test)}\\n\")",
    ].join("\n"),
  );
  const r = spawnSync(
    bin,
    ["--data-dir", dataDir, "exec", "--task", PIZZA, "--code", code, "--instrument", "none", "--out", join(work, "out"), "--json"],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = z
    .object({ execution: z.object({ stdout: z.object({ text: z.string() }) }), grade: z.object({ valid_submission: z.boolean() }) })
    .parse(JSON.parse(r.stdout));
  assert.match(out.execution.stdout.text, /^CLEAN \['description\.md', 'sampleSubmission\.csv', 'test\.json', 'train\.json'\]/m);
  assert.equal(out.grade.valid_submission, true);
});
