import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../src/errors.js";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { CheckedInstrumenter } from "../../src/instrument/fallback.js";
import { LmInstrumenter, TAG_PLACEHOLDER, fillTag } from "../../src/instrument/lm.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { runRollout } from "../../src/rollout/run-rollout.js";
import { RolloutRecord } from "../../src/core/rollout.js";
import { BwrapExecutor } from "../../src/sandbox/index.js";
import { prepareTasks, requirePrepared } from "../../src/tasks/registry.js";
import { tempDir } from "../agent/tmp.js";
import { FakeOpenAI, chatReply } from "../policy/fake-openai.js";

const ast = new AstInstrumenter();
let fake: FakeOpenAI;
before(async () => {
  fake = await FakeOpenAI.start();
});
after(async () => {
  await fake.close();
  await ast.close();
});

const PROGRAM = [
  "import pandas as pd",
  "import numpy as np",
  "",
  "df = pd.read_csv(",
  "    '/home/data/train.csv'",
  ")",
  "if len(df) > 0:",
  "    n = len(df)",
  "raise SystemExit(3)",
  "",
].join("\n");

/** The program the prompt carries: the last ```python block. */
function programIn(prompt: string): string {
  const start = prompt.lastIndexOf("```python\n") + "```python\n".length;
  return prompt.slice(start, prompt.lastIndexOf("```"));
}

/** What a good instrumenting model answers: markers after the imports, after the read and inside the if. */
function goodAnswer(program: string): string {
  const lines = program.split("\n");
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    if (line === "import numpy as np") out.push(`print("@@mlerl:${TAG_PLACEHOLDER} imports")`);
    if (line === ")" && lines[i - 2]?.includes("read_csv")) out.push(`print("@@mlerl:${TAG_PLACEHOLDER} data_loaded")`);
    if (line === "    n = len(df)") out.push(`    print("@@mlerl:${TAG_PLACEHOLDER} features_built")`);
  });
  return `Here is the program:\n\n\`\`\`python\n${out.join("\n")}\`\`\`\n`;
}

function lastPrompt(): string {
  return (fake.requests.at(-1)!.body.messages as { content: string }[])[0]!.content;
}

function lm(extra: Partial<ConstructorParameters<typeof LmInstrumenter>[0]> = {}) {
  return new LmInstrumenter({ baseUrl: fake.url, model: "base", retries: 0, ...extra });
}

test("a faithful answer is accepted: sites come from the text, the nonce never reaches the model", async () => {
  fake.handler = (_p, body) => ({
    body: chatReply({ content: goodAnswer(programIn((body.messages as { content: string }[])[0]!.content)) }),
  });
  const nonce = newNonce();
  const r = await new CheckedInstrumenter(lm(), ast).instrument(PROGRAM, nonce);
  assert.equal(r.note, undefined, r.note);
  assert.deepEqual(r.sites, [
    { after: 2, indent: "", kind: "imports", value: null },
    { after: 6, indent: "", kind: "data_loaded", value: null },
    { after: 8, indent: "    ", kind: "features_built", value: null },
  ]);
  assert.deepEqual(r.milestones, ["imports", "data_loaded", "features_built"]);
  assert.ok(r.code.includes(`    print("@@mlerl:${nonce} features_built")\n`));
  const req = fake.requests.at(-1)!;
  assert.equal(req.body.model, "base", "the frozen model, not the policy");
  assert.equal(req.body.temperature, 0);
  const prompt = lastPrompt();
  assert.ok(prompt.includes(PROGRAM), "the whole program is in the prompt");
  assert.ok(!prompt.includes(nonce), "the nonce stays out of the prompt");
  assert.match(prompt, /print\("@@mlerl:TAG metric", NAME\)/);
});

test("answers that change the program, hide a marker in a statement, add nothing, or never come, fall back to the AST instrumenter with the reason", async () => {
  const nonce = newNonce();
  const expected = await ast.instrument(PROGRAM, nonce);
  const cases: { name: string; answer?: (program: string) => string; reason: RegExp }[] = [
    { name: "edits", answer: (p) => goodAnswer(p).replace("train.csv", "test.csv"), reason: /differs from the original at line 5/ },
    {
      name: "inside a call",
      answer: (p) =>
        `\`\`\`python\n${p.replace("    '/home/data/train.csv'\n", `    '/home/data/train.csv'\nprint("@@mlerl:TAG imports")\n`)}\`\`\``,
      reason: /lm output rejected \((?!without)/,
    },
    { name: "no marker", answer: (p) => `\`\`\`python\n${p}\`\`\``, reason: /failed: the model inserted no marker/ },
    { name: "garbage", answer: () => "the the the ```", reason: /differs from the original at line 1/ },
  ];
  for (const c of cases) {
    fake.handler = (_p, body) => ({
      body: chatReply({ content: c.answer!(programIn((body.messages as { content: string }[])[0]!.content)) }),
    });
    const r = await new CheckedInstrumenter(lm(), ast).instrument(PROGRAM, nonce);
    assert.equal(r.code, expected.code, c.name);
    assert.deepEqual(r.sites, expected.sites, c.name);
    assert.match(r.note ?? "", /^lm output rejected \(/, c.name);
    assert.match(r.note ?? "", c.reason, c.name);
    assert.match(r.note ?? "", /used ast$/, c.name);
  }
  const gone = await FakeOpenAI.start();
  const url = gone.url;
  await gone.close();
  const r = await new CheckedInstrumenter(new LmInstrumenter({ baseUrl: url, model: "base", retries: 0 }), ast).instrument(PROGRAM, nonce);
  assert.equal(r.code, expected.code);
  assert.match(r.note ?? "", /lm output rejected \(failed: .*127\.0\.0\.1.*ECONNREFUSED/);
});

test("the placeholder becomes the nonce in marker lines only; a bad prompt file is a user error", () => {
  const nonce = newNonce();
  const text = `x = "@@mlerl:TAG imports"\nprint("@@mlerl:TAG imports")\n  print("@@mlerl:TAG metric", auc)\nprint("@@mlerl:TAG metric", f(auc))\n`;
  assert.equal(
    fillTag(text, nonce),
    `x = "@@mlerl:TAG imports"\nprint("@@mlerl:${nonce} imports")\n  print("@@mlerl:${nonce} metric", auc)\nprint("@@mlerl:TAG metric", f(auc))\n`,
  );
  const dir = tempDir("mlerl-lm-prompt-");
  writeFileSync(join(dir, "p.md"), "copy this: {{program}}");
  assert.throws(
    () => lm({ promptFile: join(dir, "p.md") }),
    (e: unknown) => e instanceof UserError && /\{\{tag\}\}/.test(e.message),
  );
  assert.throws(() => lm({ promptFile: join(dir, "nope.md") }), UserError);
});

test("in a real rollout the accepted LM markers fire, and a rejection is recorded in the rollout's reward.json and record.json", async () => {
  const root = tempDir("mlerl-lm-rollout-");
  const TASK = "mini-nomad2018-predict-transparent-conductors";
  await prepareTasks([TASK], join(root, "data"), () => {});
  const { spec, paths } = requirePrepared(TASK, join(root, "data"));
  const executor = new BwrapExecutor();
  fake.handler = (_p, body) => ({
    body: chatReply({ content: goodAnswer(programIn((body.messages as { content: string }[])[0]!.content)) }),
  });
  const good = await runRollout({
    executor,
    instrumenter: new CheckedInstrumenter(lm(), ast),
    spec,
    paths,
    code: PROGRAM,
    outDir: join(root, "good"),
  });
  assert.equal(good.record.instrumentation.note, null);
  assert.deepEqual(good.record.reward.milestonesReached, ["imports", "data_loaded", "features_built"]);
  assert.doesNotMatch(good.record.feedback.output, /@@mlerl/);

  fake.handler = () => ({ body: chatReply({ content: "```python\nimport os\n```" }) });
  const bad = await runRollout({
    executor,
    instrumenter: new CheckedInstrumenter(lm(), ast),
    spec,
    paths,
    code: PROGRAM,
    outDir: join(root, "bad"),
  });
  assert.match(bad.record.instrumentation.note ?? "", /^lm output rejected/);
  assert.ok(bad.record.reward.milestonesReached.includes("data_loaded"), "the AST instrumenter's markers count instead");
  const stored = JSON.parse(readFileSync(join(root, "bad", "reward.json"), "utf8")) as { instrumentation: { note: string } };
  assert.equal(stored.instrumentation.note, bad.record.instrumentation.note);
  const record = RolloutRecord.parse(JSON.parse(readFileSync(join(root, "bad", "record.json"), "utf8")));
  assert.equal(record.instrumentation.note, bad.record.instrumentation.note);
});
