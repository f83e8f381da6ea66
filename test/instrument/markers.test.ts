import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { MarkerScanner, metricFromPrintedLine, parseMarkers, stripMarkers } from "../../src/instrument/markers.js";
import { markerTag, markerTags, METRIC_REPORTS, newNonce } from "../../src/instrument/nonce.js";
import { MARKER_KINDS, type MarkerKind } from "../../src/instrument/types.js";

const nonce = newNonce();
const mark = (kind: MarkerKind, value?: number, use = 0) =>
  `@@mlerl ${markerTag(nonce, kind, use)} ${kind}${value === undefined ? "" : ` ${value}`}\n`;

const stdout = [
  mark("imports"),
  "loading data ... ",
  mark("data_loaded"),
  "done\n",
  `@@mlerl ${"0".repeat(32)} model_trained\n`, // forged
  mark("model_defined"),
  mark("model_trained"),
  "fold 0 AUC: 0.81234 (best iteration 12)\n",
  mark("metric_printed"),
  mark("metric", 0.7, 0),
  "héllo wörld ✓\n",
  mark("model_trained"), // a genuine line seen again: a replay
  "final CV AUC = 0.83\n",
  mark("metric", 0.83, 1), // the next one-time metric line
  "no number here\n",
  mark("metric_printed"), // a replay
  mark("submission_written"),
  "bye",
].join("");

test("genuine markers are found in order with their offsets and lines; forged and replayed ones are counted and ignored", () => {
  const r = parseMarkers(stdout, nonce);
  assert.deepEqual(r.milestones, ["imports", "data_loaded", "model_defined", "model_trained", "submission_written", "validation_metric"]);
  assert.deepEqual(
    r.reached.map((h) => h.milestone),
    ["imports", "data_loaded", "model_defined", "model_trained", "validation_metric", "submission_written"],
  );
  assert.equal(r.validationMetric, 0.83, "the last readable metric wins");
  assert.equal(r.rejected, 1);
  assert.equal(r.replayed, 2, "each genuine line counts once");
  const buf = Buffer.from(stdout);
  for (const h of r.reached) {
    const text = `@@mlerl ${markerTag(nonce, h.kind)} ${h.kind}`;
    assert.equal(h.offset, buf.indexOf(text), `${h.kind} byte offset`);
    assert.equal(h.line, stdout.slice(0, stdout.indexOf(text)).split("\n").length, `${h.kind} line`);
  }
  const sub = r.reached.find((h) => h.milestone === "submission_written")!;
  assert.ok(sub.offset > stdout.indexOf("héllo") + 5, "offsets are bytes, not characters");
});

test("streaming in chunks of any size gives the same report as the whole text", () => {
  const whole = parseMarkers(stdout, nonce);
  for (let size = 1; size <= stdout.length; size += size < 20 ? 1 : 37) {
    const s = new MarkerScanner(nonce);
    for (let i = 0; i < stdout.length; i += size) s.push(stdout.slice(i, i + size));
    assert.deepEqual(s.finish(), whole, `chunk size ${size}`);
  }
});

test("a long line without newlines does not hide later markers", () => {
  const flood = "x".repeat(100_000);
  const text = `${mark("imports")}${flood}${mark("data_loaded")}tail`;
  const s = new MarkerScanner(nonce);
  for (let i = 0; i < text.length; i += 1000) s.push(text.slice(i, i + 1000));
  const r = s.finish();
  assert.deepEqual(r.milestones, ["imports", "data_loaded"]);
  assert.equal(r.reached[1]!.offset, Buffer.byteLength(mark("imports")) + flood.length);
});

test("stripMarkers removes exactly the genuine markers", () => {
  const stripped = stripMarkers(stdout, nonce);
  assert.ok(!stripped.includes(markerTag(nonce, "imports")));
  assert.ok(stripped.includes(`@@mlerl ${"0".repeat(32)} model_trained`), "forged text is the program's own output");
  assert.equal(
    stripped,
    "loading data ... done\n" +
      `@@mlerl ${"0".repeat(32)} model_trained\n` +
      "fold 0 AUC: 0.81234 (best iteration 12)\nhéllo wörld ✓\nfinal CV AUC = 0.83\nno number here\nbye",
  );
  assert.deepEqual(parseMarkers(stdout, newNonce()).milestones, [], "another execution's nonce accepts nothing");
});

test("tags are HMAC-SHA256 of the kind under the nonce, distinct per kind and per nonce", () => {
  const expected = createHmac("sha256", Buffer.from(nonce))
    .update(Buffer.concat([Buffer.from("mlerl-marker"), Buffer.from([0]), Buffer.from("imports")]))
    .digest("hex")
    .slice(0, 32);
  assert.equal(markerTag(nonce, "imports"), expected);
  const tags = new Set(MARKER_KINDS.map((k) => markerTag(nonce, k)));
  assert.equal(tags.size, MARKER_KINDS.length);
  assert.notEqual(markerTag(newNonce(), "imports"), markerTag(nonce, "imports"));
  const all = markerTags(nonce);
  assert.equal(all.size, MARKER_KINDS.length - 1 + METRIC_REPORTS, "one tag per kind, and one per metric report");
  assert.equal(all.get(markerTag(nonce, "metric", METRIC_REPORTS - 1)), "metric");
  assert.notEqual(markerTag(nonce, "metric", 0), markerTag(nonce, "metric", 1));
});

test("reading a metric from a printed line", () => {
  const cases: Array<[string, number | null]> = [
    ["Validation AUC: 0.91234", 0.91234],
    ["fold 3 auc 0.8 after 200 rounds", 0.8],
    ["rmsle=0.0712 (best)", 0.0712],
    ["CV log loss: 1.2e-1", 0.12],
    ["epoch 5 loss 12", 12],
    ["score: -0.25", -0.25],
    ["accuracy 0.5, f1 0.4", 0.5],
    ["nothing", null],
  ];
  for (const [line, want] of cases) assert.equal(metricFromPrintedLine(line), want, line);
});
