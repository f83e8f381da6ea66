import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { looksLikePython, parseResponse, type ParsedResponse } from "../../src/agent/response.js";
import { requireAgentPython } from "../../src/runtime/venv.js";

const PROGRAM = [
  "import pandas as pd",
  "from sklearn.linear_model import LogisticRegression",
  "",
  "train = pd.read_csv('/home/data/train.csv')",
  "model = LogisticRegression(max_iter=200)",
  "for i in range(3):",
  "    print(i)",
  "print('validation metric: 0.5')",
].join("\n");

const F = "```";

function ok(response: string): ParsedResponse {
  const r = parseResponse(response);
  if (!r.ok) assert.fail(`expected code, got no_code: ${r.message}`);
  return r;
}

test("plan then one python block: plan is the prose, code is the block with one trailing newline", () => {
  const r = ok(`I will fit a logistic regression on the numeric columns.\n\n${F}python\n${PROGRAM}\n${F}\n`);
  assert.equal(r.plan, "I will fit a logistic regression on the numeric columns.");
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.source, "fenced");
  assert.equal(r.fencedBlocks, 1);
});

test("CRLF and lone CR line endings are normalised", () => {
  const crlf = `Plan line.\r\n\r\n${F}python\r\n${PROGRAM.replace(/\n/g, "\r\n")}\r\n${F}\r\n`;
  assert.equal(ok(crlf).code, `${PROGRAM}\n`);
  assert.equal(ok(crlf).plan, "Plan line.");
  const cr = `Plan.\r${F}py\r${PROGRAM.replace(/\n/g, "\r")}\r${F}`;
  assert.equal(ok(cr).code, `${PROGRAM}\n`);
});

test("py, python3, Python, py3, ipython and info strings after the label all count as Python", () => {
  for (const label of ["py", "python3", "Python", "PY3", "ipython", 'python title="main.py"', " python", "{.python}"]) {
    const r = ok(`Plan.\n${F}${label}\n${PROGRAM}\n${F}`);
    assert.equal(r.code, `${PROGRAM}\n`, `label ${JSON.stringify(label)}`);
  }
});

test("tilde fences and longer backtick fences (with a nested ``` inside) work", () => {
  assert.equal(ok(`Plan.\n~~~python\n${PROGRAM}\n~~~\n`).code, `${PROGRAM}\n`);
  const nested = `${PROGRAM}\ns = """\n${F}\ninner\n${F}\n"""`;
  assert.equal(ok(`Plan.\n\`\`\`\`python\n${nested}\n\`\`\`\`\n`).code, `${nested}\n`);
});

test("an unlabelled fence is taken when it holds Python", () => {
  const r = ok(`My plan is simple.\n${F}\n${PROGRAM}\n${F}\nDone.`);
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.plan, "My plan is simple.");
});

test("an unlabelled fence holding data or output is not code", () => {
  const r = parseResponse(`The data looks like:\n${F}\nid,target\n1,0\n2,1\n${F}\nI would use a model.`);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.kind, "no_code");
    assert.match(r.message, /no Python code block/);
  }
});

test("labelled python blocks win over unlabelled ones even when the unlabelled one is longer", () => {
  const longUnlabelled = `${PROGRAM}\n${PROGRAM}\n${PROGRAM}`;
  const r = ok(`Plan.\n${F}\n${longUnlabelled}\n${F}\n${F}python\nprint('short')\n${F}`);
  assert.equal(r.code, "print('short')\n");
});

test("several python blocks: the longest is taken (a snippet before or after the full program is ignored)", () => {
  const snippet = "model = LogisticRegression(C=0.5)";
  const before = ok(`Change:\n${F}python\n${snippet}\n${F}\nFull program:\n${F}python\n${PROGRAM}\n${F}\n`);
  assert.equal(before.code, `${PROGRAM}\n`);
  assert.equal(before.plan, `Change:\n${F}python\n${snippet}\n${F}\nFull program:`);
  const after = ok(`Plan.\n${F}python\n${PROGRAM}\n${F}\nThe key line is:\n${F}python\n${snippet}\n${F}\n`);
  assert.equal(after.code, `${PROGRAM}\n`);
  assert.equal(after.fencedBlocks, 2);
});

test("two python blocks of equal length: the later one is taken", () => {
  const a = "print('aaaa')";
  const b = "print('bbbb')";
  assert.equal(ok(`${F}python\n${a}\n${F}\nor rather\n${F}python\n${b}\n${F}`).code, `${b}\n`);
});

test("bash and other language blocks are never the program", () => {
  const r = ok(
    `Install first:\n${F}bash\npip install lightgbm xgboost catboost optuna and a very long list of things\n${F}\n${F}python\n${PROGRAM}\n${F}`,
  );
  assert.equal(r.code, `${PROGRAM}\n`);
  const none = parseResponse(`Run:\n${F}bash\npython main.py\n${F}\n${F}json\n{"a": 1}\n${F}`);
  assert.equal(none.ok, false);
  if (!none.ok) assert.match(none.message, /found: bash, json/);
});

test("an unterminated fence (the model ran out of tokens) yields the code up to the end", () => {
  const cut = PROGRAM.slice(0, PROGRAM.lastIndexOf("\n"));
  const r = ok(`Plan: logistic regression.\n\n${F}python\n${cut}\n   `);
  assert.equal(r.code, `${cut}\n`);
  assert.equal(r.source, "unterminated_fence");
  assert.equal(r.plan, "Plan: logistic regression.");
});

test("a complete short block and an unterminated longer one: the longer, unterminated one is taken", () => {
  const r = ok(`${F}python\nprint(1)\n${F}\nNow the program:\n${F}python\n${PROGRAM}`);
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.source, "unterminated_fence");
});

test("a closing fence glued to the last code line still closes the block", () => {
  const r = ok(`Plan.\n${F}python\n${PROGRAM}${F}\nThat is all.`);
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.source, "fenced");
});

test("a string literal containing backticks does not end the block", () => {
  const code = `${PROGRAM}\nnote = "use \`\`\` for fences"`;
  assert.equal(ok(`Plan.\n${F}python\n${code}\n${F}`).code, `${code}\n`);
});

test("an indented block (inside a list item) is dedented; blank edge lines and trailing spaces are dropped", () => {
  const indented = PROGRAM.split("\n")
    .map((l) => (l === "" ? "" : `    ${l}`))
    .join("\n");
  const r = ok(`1. Plan:\n   Fit a model.\n\n   ${F}python\n\n${indented}   \n\n   ${F}\n`);
  assert.equal(r.code, `${PROGRAM}\n`);
});

test("no fences: a response that is all code is taken whole, with an empty plan", () => {
  const r = ok(PROGRAM);
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.plan, "");
  assert.equal(r.source, "unfenced");
});

test("no fences: prose before the code becomes the plan, prose after it is dropped", () => {
  const r = ok(`Plan: a logistic regression on all numeric features.\nIt should be quick.\n\n${PROGRAM}\n\nThis should work well.\n`);
  assert.equal(r.plan, "Plan: a logistic regression on all numeric features.\nIt should be quick.");
  assert.equal(r.code, `${PROGRAM}\n`);
});

test("prose without code, an empty response and empty fences fail with kind no_code", () => {
  for (const [response, pattern] of [
    ["I would train a gradient boosting model and then write the submission.", /does not read as a Python program/],
    ["", /empty/],
    ["   \r\n  ", /empty/],
    [`Plan.\n${F}python\n\n${F}`, /code blocks are empty/],
  ] as const) {
    const r = parseResponse(response);
    assert.equal(r.ok, false, JSON.stringify(response));
    if (!r.ok) {
      assert.equal(r.kind, "no_code");
      assert.match(r.message, pattern);
    }
  }
});

test("looksLikePython tells code from prose and tables", () => {
  assert.equal(looksLikePython(PROGRAM), true);
  assert.equal(looksLikePython("x = 1"), true);
  assert.equal(looksLikePython("We load the data, then we fit a model.\nThen we predict."), false);
  assert.equal(looksLikePython("id,target\n1,0.5\n2,0.25"), false);
  assert.equal(looksLikePython(""), false);
});

test("every code the parser extracts from these shapes is valid Python (checked by the real interpreter)", () => {
  const shapes = [
    `Plan.\n${F}python\n${PROGRAM}\n${F}`,
    `Plan.\r\n${F}py\r\n${PROGRAM.replace(/\n/g, "\r\n")}\r\n${F}`,
    `Plan.\n${F}python\n${PROGRAM}${F}`,
    `1. Plan\n   ${F}python\n${PROGRAM.split("\n")
      .map((l) => `   ${l}`)
      .join("\n")}\n   ${F}`,
    `Here is the plan.\n\n${PROGRAM}\n\nGood luck.`,
    PROGRAM,
    `${F}python\nprint(1)\n${F}\n${F}python\n${PROGRAM}\n${F}`,
  ];
  const codes = shapes.map((s) => ok(s).code);
  const py = requireAgentPython();
  const script = "import ast, json, sys\nfor c in json.load(sys.stdin):\n    ast.parse(c)\nprint('ok')";
  const r = spawnSync(py.python, ["-c", script], { input: JSON.stringify(codes), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "ok");
});

test("an opening fence at the end of a prose line starts a block", () => {
  const r = ok(`Here is the program: ${F}python\n${PROGRAM}\n${F}\n`);
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.source, "fenced");
});

test("a reasoning section is skipped when the answer after </think> has code, and used when only it has code", () => {
  const draft = `${PROGRAM}\n# a much longer draft\n${"x = 1\n".repeat(30)}`;
  const r = ok(
    `<think>\nLet me draft:\n${F}python\n${draft}\n${F}\n</think>\nFinal plan: logistic regression.\n${F}python\n${PROGRAM}\n${F}`,
  );
  assert.equal(r.code, `${PROGRAM}\n`);
  assert.equal(r.plan, "Final plan: logistic regression.");
  const onlyThinking = ok(`<think>\n${F}python\n${PROGRAM}\n${F}\n</think>\nI hope this helps.`);
  assert.equal(onlyThinking.code, `${PROGRAM}\n`);
  const unfinished = ok(`<think>\nPlanning.\n${F}python\n${PROGRAM}`);
  assert.equal(unfinished.source, "unterminated_fence");
});
