import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { formatDoctor } from "../../src/sandbox/doctor.js";
import { removeTestDirs, sandboxUnavailable, testDir } from "./helpers.js";

const bin = new URL("../../bin/mlerl", import.meta.url).pathname;
const TASK = "mini-tabular-playground-series-may-2022";
let dataDir = "";
let work = "";

const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(bin, ["--data-dir", dataDir, ...args], { encoding: "utf8", env });

const ExecJson = z.object({
  task: z.string(),
  executor: z.string(),
  outDir: z.string(),
  execution: z.object({
    exitCode: z.number().nullable(),
    summary: z.string(),
    submissionPath: z.string().nullable(),
    wallSec: z.number(),
    killed: z.string().nullable(),
  }),
  grade: z.object({
    score: z.number().nullable(),
    valid_submission: z.boolean(),
    submission_exists: z.boolean(),
    error: z.string().nullable(),
  }),
});

before(() => {
  dataDir = testDir("mlerl-exec-data-");
  work = testDir("mlerl-exec-work-");
  const prep = run(["tasks", "prepare", TASK]);
  assert.equal(prep.status, 0, prep.stderr);
});

after(removeTestDirs);

test("mlerl exec runs a solution in the sandbox and grades it (--json)", { skip: sandboxUnavailable }, () => {
  const code = join(work, "solution.py");
  writeFileSync(
    code,
    `import pandas as pd
from sklearn.linear_model import LogisticRegression
train = pd.read_csv("/home/data/train.csv")
test = pd.read_csv("/home/data/test.csv")
feats = [c for c in train.select_dtypes("number").columns if c not in ("id", "target")]
model = LogisticRegression(max_iter=300).fit(train[feats], train["target"])
pd.DataFrame({"id": test["id"], "target": model.predict_proba(test[feats])[:, 1]}).to_csv("/home/submission/submission.csv", index=False)
print("trained on", len(train), "rows")
`,
  );
  const out = join(work, "out-good");
  const r = run(["exec", "--task", TASK, "--code", code, "--timeout", "120", "--out", out, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = ExecJson.parse(JSON.parse(r.stdout));
  assert.equal(j.task, TASK);
  assert.match(j.executor, /bubblewrap/);
  assert.equal(j.execution.exitCode, 0);
  assert.equal(j.grade.valid_submission, true, j.grade.error ?? "");
  assert.ok(j.grade.score !== null && j.grade.score > 0.5 && j.grade.score <= 1, `ROC AUC ${j.grade.score}`);
  for (const f of ["program.py", "stdout.txt", "stderr.txt", "result.json", "submission.csv", "grade.json"])
    assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, "stdout.txt"), "utf8"), /trained on \d+ rows/);
});

test("mlerl exec reports a failing program in words and exits 1", { skip: sandboxUnavailable }, () => {
  const code = join(work, "broken.py");
  writeFileSync(code, "import pandas as pd\npd.read_csv('/home/data/answers.csv')\n");
  const r = run(["exec", "--task", TASK, "--code", code, "--out", join(work, "out-bad")]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /result +exited 1 in .*no submission\.csv/);
  assert.match(r.stdout, /FileNotFoundError/);
  assert.match(r.stdout, /valid_submission +no/);
});

test("mlerl exec rejects bad flags with a fix", () => {
  const r = run(["exec", "--task", TASK, "--code", join(work, "missing.py")]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--code .*no such file/);
  assert.match(r.stderr, /fix: /);
  for (const value of ["soon", "0"]) {
    const t = run(["exec", "--task", TASK, "--code", bin, "--timeout", value]);
    assert.equal(t.status, 2, t.stderr);
    assert.match(t.stderr, new RegExp(`--timeout: .*'${value}'`), "names the flag and the value");
    // The fix is an example a user can pass: a deadline of some seconds.
    const example = /fix: .*--timeout (\S+)/.exec(t.stderr)?.[1];
    assert.ok(example !== undefined && Number(example) >= 1, t.stderr);
  }
});

test("mlerl doctor reports every piece and fails with fixes when bubblewrap is missing", () => {
  const r = run(["doctor", "--json"], { ...process.env, MLERL_BWRAP: "/nonexistent/bwrap" });
  assert.equal(r.status, 1);
  const j = z
    .object({
      ok: z.boolean(),
      checks: z.array(
        z.object({ name: z.string(), ok: z.boolean(), required: z.boolean(), detail: z.string(), fix: z.string().nullable() }),
      ),
    })
    .parse(JSON.parse(r.stdout));
  assert.equal(j.ok, false);
  assert.deepEqual(
    j.checks.map((c) => c.name),
    ["node", "python", "agent venv", "bubblewrap", process.getuid?.() === 0 ? "privileges" : "user namespaces", "sandbox", "cgroups"],
  );
  const bwrap = j.checks.find((c) => c.name === "bubblewrap")!;
  assert.equal(bwrap.ok, false);
  assert.match(bwrap.fix ?? "", /apt-get install bubblewrap/);
  assert.equal(j.checks.find((c) => c.name === "agent venv")?.ok, true, "the venv set up for the tests is found");
  const text = formatDoctor(j.checks);
  assert.match(text, /\[FAIL\] bubblewrap: not installed\n +fix: apt-get install bubblewrap/);
  assert.match(text, /missing: bubblewrap, sandbox\n$/);
});

test(
  "mlerl exec in a reused --out grades only this run's file; a hostile submission is an invalid verdict with the reason, also for mlerl grade",
  { skip: sandboxUnavailable },
  () => {
    const out = join(work, "out-reused");
    const good = join(work, "copy-sample.py");
    writeFileSync(good, 'import shutil\nshutil.copy("/home/data/sample_submission.csv", "/home/submission/submission.csv")\n');
    const first = run(["exec", "--task", TASK, "--code", good, "--out", out, "--json", "--instrument", "none"]);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(ExecJson.parse(JSON.parse(first.stdout)).grade.valid_submission, true);

    const nothing = join(work, "nothing.py");
    writeFileSync(nothing, "raise SystemExit(1)\n");
    const second = run(["exec", "--task", TASK, "--code", nothing, "--out", out, "--json", "--instrument", "none"]);
    assert.equal(second.status, 1);
    const s = JSON.parse(second.stdout) as { grade: { submission_exists: boolean; score: number | null }; reward: { reward: number } };
    assert.equal(s.grade.submission_exists, false, "the previous run's submission is not graded");
    assert.equal(s.grade.score, null);
    assert.equal(s.reward.reward, -10);
    assert.ok(!existsSync(join(out, "submission.csv")));

    const wide = join(work, "wide.py");
    writeFileSync(
      wide,
      'with open("/home/submission/submission.csv", "w") as f:\n    f.write(",".join("c%d" % i for i in range(200000)) + "\\n1\\n")\n',
    );
    const third = run(["exec", "--task", TASK, "--code", wide, "--out", out, "--json", "--instrument", "none"]);
    assert.equal(third.status, 1, third.stderr);
    const t = ExecJson.parse(JSON.parse(third.stdout));
    assert.equal(t.execution.exitCode, 0);
    assert.equal(t.grade.valid_submission, false);
    assert.match(t.grade.error ?? "", /header has 200000 columns/);

    const graded = run(["grade", "--task", TASK, "--submission", join(out, "submission.csv"), "--json"]);
    assert.equal(graded.status, 1, graded.stderr);
    assert.match((JSON.parse(graded.stdout) as { error: string }).error, /header has 200000 columns/);
  },
);
