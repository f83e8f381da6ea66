import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  PLACEHOLDERS,
  defaultPromptDir,
  formatDuration,
  formatNumber,
  loadTemplates,
  parseTemplate,
  promptDirFromEnv,
  renderImprove,
  renderScratch,
  type ImproveInput,
  type ScratchInput,
} from "../../src/agent/prompts.js";
import { UserError } from "../../src/errors.js";
import { tempDir } from "./tmp.js";

const NONCE = "n0nce7f3a9c2";
/** A stand-in for the instrumentation module's marker stripper: drops lines tagged with the nonce. */
const fakeStrip = (out: string) =>
  out
    .split("\n")
    .filter((l) => !l.includes(`@@mlerl:${NONCE}`))
    .join("\n");

const scratchInput: ScratchInput = {
  taskDescription: "# Spooky Author Identification\nPredict the author of each sentence.",
  dataOverview: "train.csv (1.2 MB): 17621 rows x 3 columns",
  timeLimitSec: 150,
  metric: "multiclass log loss",
  lowerIsBetter: true,
};

function improveInput(over: Partial<ImproveInput["previous"]> = {}): ImproveInput {
  return {
    ...scratchInput,
    previous: {
      plan: "TF-IDF and logistic regression.",
      code: "import pandas as pd\nprint('validation metric: 0.52')\n",
      output: `loading\n@@mlerl:${NONCE}:data_loaded\nvalidation metric: 0.52\n@@mlerl:${NONCE}:submission_written\n`,
      validationMetric: 0.52,
      validSubmission: true,
      reward: null,
      summary: "exited 0 after 3.1 s",
      ...over,
    },
  };
}

function freshDir(): string {
  return tempDir("mlerl-prompts-");
}

function userErrorMatching(re: RegExp) {
  return (e: unknown) => e instanceof UserError && re.test(e.message);
}

test("the shipped templates load, pass their own checks and use every required placeholder", () => {
  const t = loadTemplates();
  for (const name of ["scratch", "improve"] as const) {
    assert.equal(t[name].path, join(defaultPromptDir(), `${name}.md`));
    for (const p of PLACEHOLDERS[name].required) assert.ok(t[name].placeholders.includes(p), `${name} uses ${p}`);
  }
});

test("the scratch prompt carries the task, data overview, MLE-bench instructions and the time limit", () => {
  const p = renderScratch(loadTemplates(), scratchInput);
  assert.ok(p.includes(scratchInput.taskDescription));
  assert.ok(p.includes(scratchInput.dataOverview));
  assert.ok(p.includes("/home/data"));
  assert.ok(p.includes("/home/submission/submission.csv"));
  assert.ok(p.includes("2 minutes 30 seconds"));
  assert.match(p, /multiclass log loss,\s+lower is better/);
  assert.ok(p.includes("validation metric: <number>"));
  assert.ok(p.includes("```python"));
  assert.doesNotMatch(p, /\{\{/, "no placeholder left unfilled");
});

test("the improve prompt shows code, stripped output, metric, submission status; markers and the nonce never appear", () => {
  const p = renderImprove(loadTemplates(), improveInput(), { stripMarkers: fakeStrip, secrets: [NONCE] });
  assert.ok(p.includes("import pandas as pd\nprint('validation metric: 0.52')\n```"));
  assert.ok(p.includes("loading\nvalidation metric: 0.52"));
  assert.ok(p.includes("Validation metric it printed: 0.52"));
  assert.ok(p.includes("a valid submission.csv was written"));
  assert.ok(p.includes("Reward: not shown"));
  assert.ok(p.includes("exited 0 after 3.1 s"));
  assert.ok(!p.includes("@@mlerl"));
  assert.ok(!p.includes(NONCE));
});

test("a nonce in output lines the stripper does not remove (a program printing its own source) is redacted", () => {
  const leaked = `print("@@mlerl:" + "${NONCE}")  # echoed source\nTraceback: boom`;
  const p = renderImprove(loadTemplates(), improveInput({ output: leaked, validSubmission: false, reward: 0.3 }), {
    stripMarkers: fakeStrip,
    secrets: [NONCE],
  });
  assert.ok(!p.includes(NONCE));
  assert.ok(p.includes("[redacted]"));
  assert.ok(p.includes("Reward: 0.3"));
  assert.ok(p.includes("no valid submission.csv was written"));
});

test("long output is trimmed to head and tail after markers are stripped", () => {
  const head = "H".repeat(3000);
  const tail = "T".repeat(3000);
  const markers = Array.from({ length: 500 }, (_, i) => `@@mlerl:${NONCE}:m${i}`).join("\n");
  const p = renderImprove(loadTemplates(), improveInput({ output: `${markers}\n${head}\n${tail}` }), {
    stripMarkers: fakeStrip,
    head: 100,
    tail: 50,
  });
  assert.ok(p.includes(`${"H".repeat(100)}\n[... ${6001 - 150} characters omitted ...]\n${"T".repeat(50)}`));
});

test("a missing metric and empty output read plainly", () => {
  const p = renderImprove(loadTemplates(), improveInput({ validationMetric: null, output: "", plan: "" }), { stripMarkers: (s) => s });
  assert.ok(p.includes("Validation metric it printed: none printed"));
  assert.ok(p.includes("(no output)"));
  assert.ok(p.includes("Its plan: (none given)"));
});

test("values are inserted once: code containing {{reward}} is shown literally", () => {
  const code = "s = '{{reward}} {{ previous_code }}'\nprint(s)\n";
  const p = renderImprove(loadTemplates(), improveInput({ code }), { stripMarkers: (s) => s });
  assert.ok(p.includes(code.trimEnd()));
});

test("invalid inputs are rejected by the schema (NaN metric, empty code, empty description)", () => {
  const t = loadTemplates();
  assert.throws(
    () => renderImprove(t, improveInput({ validationMetric: Number.NaN }), { stripMarkers: (s) => s }),
    /previous\.validationMetric/,
  );
  assert.throws(() => renderImprove(t, improveInput({ code: "  \n" }), { stripMarkers: (s) => s }), /previous code is empty/);
  assert.throws(() => renderScratch(t, { ...scratchInput, taskDescription: " " }), /task description is empty/);
  assert.throws(() => renderScratch(t, { ...scratchInput, timeLimitSec: 0 }), /timeLimitSec/);
});

test("a user dir overrides one template and the other falls back to the shipped one", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "scratch.md"), "Solve: {{task_description}}\nWithin {{ time_limit }}.\n");
  const t = loadTemplates(dir);
  assert.equal(t.scratch.path, join(dir, "scratch.md"));
  assert.equal(t.improve.path, join(defaultPromptDir(), "improve.md"));
  assert.equal(renderScratch(t, scratchInput), `Solve: ${scratchInput.taskDescription}\nWithin 2 minutes 30 seconds.\n`);
});

test("an unknown placeholder in a user template is a UserError naming the file and the placeholder", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "scratch.md"), "{{task_description}} {{previous_code}}");
  assert.throws(
    () => loadTemplates(dir),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.ok(e.message.includes(join(dir, "scratch.md")));
      assert.ok(e.message.includes("{{previous_code}}"));
      assert.match(e.hint ?? "", /\{\{task_description\}\}/);
      return true;
    },
  );
  writeFileSync(join(dir, "scratch.md"), "{{task_description}} {{test_score}}");
  assert.throws(() => loadTemplates(dir), userErrorMatching(/unknown placeholder \{\{test_score\}\}/));
});

test("a required placeholder missing from a user template is a UserError naming the file and the placeholder", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "improve.md"), "Improve this:\n{{previous_code}}\n");
  assert.throws(
    () => loadTemplates(dir),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.ok(e.message.includes(join(dir, "improve.md")));
      assert.ok(e.message.includes("{{execution_output}}"));
      return true;
    },
  );
});

test("override dir mistakes: missing dir, no template, misspelt template name", () => {
  assert.throws(() => loadTemplates(join(freshDir(), "nope")), userErrorMatching(/does not exist/));
  const empty = freshDir();
  writeFileSync(join(empty, "notes.md"), "my notes");
  assert.throws(() => loadTemplates(empty), userErrorMatching(/holds no template/));
  const typo = freshDir();
  writeFileSync(join(typo, "scrach.md"), "{{task_description}}");
  assert.throws(
    () => loadTemplates(typo),
    (e: unknown) => e instanceof UserError && /scrach\.md/.test(e.message) && /scratch\.md/.test(e.hint ?? ""),
  );
});

test("CRLF template files load and render with LF", () => {
  const dir = freshDir();
  writeFileSync(join(dir, "scratch.md"), "A\r\n{{task_description}}\r\n");
  assert.equal(renderScratch(loadTemplates(dir), scratchInput), `A\n${scratchInput.taskDescription}\n`);
});

test("parseTemplate ignores braces that are not placeholders", () => {
  const t = parseTemplate("scratch", "x.md", "{{task_description}} {not one} {{ 1bad }} {{}} f'{{x'");
  assert.deepEqual(t.placeholders, ["task_description"]);
});

test("promptDirFromEnv: explicit dir first, then MLERL_PROMPTS_DIR, else none", () => {
  assert.equal(promptDirFromEnv(undefined, {}), undefined);
  assert.equal(promptDirFromEnv(undefined, { MLERL_PROMPTS_DIR: "/a/b" }), "/a/b");
  assert.equal(promptDirFromEnv("/c", { MLERL_PROMPTS_DIR: "/a/b" }), "/c");
});

test("durations and numbers are formatted for reading", () => {
  assert.equal(formatDuration(1), "1 second");
  assert.equal(formatDuration(45), "45 seconds");
  assert.equal(formatDuration(60), "1 minute");
  assert.equal(formatDuration(5400), "1 hour 30 minutes");
  assert.equal(formatDuration(3661), "1 hour 1 minute 1 second");
  assert.equal(formatNumber(0.123456789), "0.123457");
  assert.equal(formatNumber(-10), "-10");
  assert.equal(formatNumber(1.5e-7), "1.50000e-7");
});

test("the shipped template files are plain text a user can read (no placeholders outside the allowed set)", () => {
  for (const name of ["scratch", "improve"] as const) {
    const text = readFileSync(join(defaultPromptDir(), `${name}.md`), "utf8");
    const names = [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
    for (const n of names) assert.ok(PLACEHOLDERS[name].allowed.includes(n ?? ""), `${name}.md: ${n}`);
  }
});
