import { test } from "node:test";
import assert from "node:assert/strict";
import { HeadTailCapture } from "../../src/sandbox/capture.js";

test("output under the cap is kept whole", () => {
  const c = new HeadTailCapture(100);
  c.push(Buffer.from("hello "));
  c.push(Buffer.from("world\n"));
  assert.deepEqual(c.result(), { text: "hello world\n", truncated: false, totalBytes: 12 });
});

test("a long stream keeps its head and tail and marks how much was dropped", () => {
  const c = new HeadTailCapture(20);
  const lines = Array.from({ length: 200 }, (_, i) => `line ${i}\n`);
  for (const l of lines) c.push(Buffer.from(l));
  const all = lines.join("");
  const r = c.result();
  assert.equal(r.truncated, true);
  assert.equal(r.totalBytes, all.length);
  assert.ok(r.text.startsWith(all.slice(0, 10)), r.text);
  assert.ok(r.text.endsWith(all.slice(-10)), r.text);
  assert.match(r.text, new RegExp(`${all.length - 20} bytes of output dropped`));
});

test("one chunk larger than the cap and chunks of every size give the same head and tail", () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(""));
  const whole = new HeadTailCapture(64);
  whole.push(data);
  for (const size of [1, 7, 31, 32, 33, 100]) {
    const c = new HeadTailCapture(64);
    for (let i = 0; i < data.length; i += size) c.push(data.subarray(i, i + size));
    assert.deepEqual(c.result(), whole.result(), `chunk size ${size}`);
  }
  assert.ok(whole.result().text.startsWith(data.subarray(0, 32).toString()));
  assert.ok(whole.result().text.endsWith(data.subarray(-32).toString()));
});
