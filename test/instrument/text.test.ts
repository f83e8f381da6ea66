import { test } from "node:test";
import assert from "node:assert/strict";
import { checkInstrumented, markerStatement, onlyPrintsAdded, renderInstrumented } from "../../src/instrument/text.js";
import { newNonce } from "../../src/instrument/nonce.js";
import type { Site } from "../../src/instrument/types.js";

const original = "import os\n\ndef f():\n    x = 1\n    return x\n\nprint(f())";
const sites: Site[] = [
  { after: 1, indent: "", kind: "imports", value: null },
  { after: 4, indent: "    ", kind: "metric", value: "x" },
  { after: 7, indent: "", kind: "predictions_made", value: null },
];

test("rendering adds one line per site and the check gives the sites back", () => {
  const nonce = newNonce();
  const out = renderInstrumented(original, sites, nonce);
  assert.equal(out.split("\n").length, original.split("\n").length + sites.length);
  const lines = out.split("\n");
  assert.equal(lines[1], markerStatement("imports", null, nonce));
  assert.equal(lines[5], `    ${markerStatement("metric", "x", nonce)}`);
  const back = checkInstrumented(original, out, nonce);
  assert.deepEqual(back, { ok: true, sites });
});

test("CRLF programs keep their line endings", () => {
  const nonce = newNonce();
  const crlf = "import os\r\nx = 1\r\n";
  const out = renderInstrumented(crlf, [{ after: 1, indent: "", kind: "imports", value: null }], nonce);
  assert.equal(out, `import os\r\n${markerStatement("imports", null, nonce)}\r\nx = 1\r\n`);
  assert.ok(onlyPrintsAdded(crlf, out, nonce));
});

test("a site before the first line and several after a last line without newline", () => {
  const nonce = newNonce();
  const s: Site[] = [
    { after: 0, indent: "", kind: "imports", value: null },
    { after: 7, indent: "", kind: "predictions_made", value: null },
    { after: 7, indent: "", kind: "submission_written", value: null },
  ];
  const out = renderInstrumented(original, s, nonce);
  assert.ok(out.startsWith(markerStatement("imports", null, nonce)));
  assert.ok(
    out.endsWith(`print(f())\n${markerStatement("predictions_made", null, nonce)}\n${markerStatement("submission_written", null, nonce)}`),
  );
  assert.deepEqual(checkInstrumented(original, out, nonce), { ok: true, sites: s });
});

test("any change other than added marker lines is rejected", () => {
  const nonce = newNonce();
  const good = renderInstrumented(original, sites, nonce);
  const mutations: Array<[string, string]> = [
    ["changed character", good.replace("x = 1", "x = 2")],
    ["removed line", good.replace("import os\n", "")],
    ["added blank line", good.replace("\ndef f", "\n\ndef f")],
    ["added non-marker print", good.replace("    return x", '    print("hi")\n    return x')],
    ["marker with another nonce", good.replace(nonce, newNonce())],
    ["marker whose value is a call", good.replace(`metric", x)`, `metric", g())`)],
    ["marker of an unknown kind", good.replace("predictions_made", "everything")],
    ["trailing space on an original line", good.replace("return x\n", "return x \n")],
    [
      "marker with code after it",
      good.replace(`${markerStatement("imports", null, nonce)}\n`, `${markerStatement("imports", null, nonce)}; import sys\n`),
    ],
  ];
  for (const [what, text] of mutations) {
    assert.notEqual(text, good, `mutation "${what}" did not apply`);
    assert.equal(onlyPrintsAdded(original, text, nonce), false, what);
  }
  assert.equal(onlyPrintsAdded(original, good, nonce), true);
  assert.equal(onlyPrintsAdded(original, original, nonce), true, "no markers at all is trivially only-prints-added");
});

test("nonces are long, random and required", () => {
  const a = newNonce();
  const b = newNonce();
  assert.notEqual(a, b);
  assert.match(a, /^[0-9a-f]{48}$/);
  assert.throws(() => renderInstrumented(original, sites, "short"));
});
