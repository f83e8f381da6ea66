import { after, test } from "node:test";
import assert from "node:assert/strict";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { CheckedInstrumenter } from "../../src/instrument/fallback.js";
import { newNonce } from "../../src/instrument/nonce.js";
import { markerStatement } from "../../src/instrument/text.js";
import type { Instrumenter, InstrumentResult } from "../../src/instrument/types.js";

const ast = new AstInstrumenter();
after(() => ast.close());

const code = "import pandas as pd\ndf = pd.read_csv('/home/data/train.csv')\nprint(len(df))\n";

/** Stand-ins for an LM instrumenter: each returns a fixed rewrite of the program. */
function fake(name: string, rewrite: (code: string, nonce: string) => string): Instrumenter {
  return {
    name,
    async instrument(c: string, nonce: string): Promise<InstrumentResult> {
      return { code: rewrite(c, nonce), sites: [], milestones: ["imports", "model_trained"], parsed: true, tampering: null };
    },
  };
}

test("an instrumenter that only adds marker lines is used, with sites read from its text", async () => {
  const lm = fake("lm", (c, n) => c.replace("print(len(df))", `print(len(df))\n${markerStatement("data_loaded", null, n)}`));
  const r = await new CheckedInstrumenter(lm, ast).instrument(code, newNonce());
  assert.deepEqual(r.sites, [{ after: 3, indent: "", kind: "data_loaded", value: null }]);
  assert.deepEqual(r.milestones, ["data_loaded"], "not what the instrumenter claimed");
  assert.equal(r.note, undefined);
});

test("an instrumenter that changes the program, or fails, falls back to the AST instrumenter", async () => {
  const nonce = newNonce();
  const expected = await ast.instrument(code, nonce);
  const cheats = [
    fake("edits", (c, n) => c.replace("train.csv", "test.csv") + `${markerStatement("imports", null, n)}\n`),
    fake("inside-call", (c, n) => c.replace("pd.read_csv(", `pd.read_csv(\n${markerStatement("imports", null, n)}\n`)),
    { name: "throws", instrument: async () => Promise.reject(new Error("model unavailable")) } as Instrumenter,
  ];
  for (const lm of cheats) {
    const r = await new CheckedInstrumenter(lm, ast).instrument(code, nonce);
    assert.equal(r.code, expected.code, lm.name);
    assert.deepEqual(r.sites, expected.sites, lm.name);
    assert.match(r.note ?? "", new RegExp(`^${lm.name} output rejected`), lm.name);
  }
});
