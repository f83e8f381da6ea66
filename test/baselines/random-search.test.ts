import { test } from "node:test";
import assert from "node:assert/strict";
import { drawUniformProgram, RandomSearch, tokensToEnd } from "../../src/baselines/random-search.js";
import { FRAGMENTS } from "../../src/policy/fragments.js";
import { EOS, Vocabulary } from "../../src/policy/vocab.js";
import { getTask } from "../../src/tasks/registry.js";
import { Rng } from "../../src/util/random.js";
import { tempDir } from "../eval/fixtures.js";

const vocab = new Vocabulary();
const DRAWS = 4000;
const programs = (() => {
  const rng = new Rng(12345);
  return Array.from({ length: DRAWS }, () => drawUniformProgram(vocab, rng, 16).map((id) => vocab.token(id)));
})();

/** Upper 0.1% point of chi-square with df degrees of freedom (Wilson–Hilferty). */
function chiSquareCritical(df: number): number {
  const z = 3.090232;
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

function chiSquareUniform(counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const e = n / counts.length;
  return counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
}

test("every draw is a well-formed program: stages in order, optional prep (repeatable), validation, one end token", () => {
  const shape = /^imports load (prep )*features model valid fit predict write <end>$/;
  for (const p of programs) {
    assert.ok(p.length <= 16, `${p.length} tokens`);
    const stages = p.map((t) => (t === EOS ? EOS : t.split(".")[0])).join(" ");
    assert.match(stages, shape);
    const fitIndex = p.findIndex((t) => t === "fit.reuse_validation");
    if (fitIndex >= 0) assert.match(p[fitIndex - 1] ?? "", /^valid\./);
  }
  assert.equal(tokensToEnd("start"), 9);
  assert.equal(tokensToEnd("write"), 1);
});

test("draws cover every fragment of the grammar", () => {
  const seen = new Set(programs.flat());
  const missing = FRAGMENTS.map((f) => f.name).filter((n) => !seen.has(n));
  assert.deepEqual(missing, []);
});

test("each choice is uniform over what the grammar allows there (chi-square at the 0.1% level)", () => {
  // The model stage always follows a features fragment, where the grammar allows exactly the model fragments.
  const models = FRAGMENTS.filter((f) => f.stage === "model").map((f) => f.name);
  const modelCounts = models.map((m) => programs.filter((p) => p.includes(m)).length);
  assert.ok(chiSquareUniform(modelCounts) < chiSquareCritical(models.length - 1), `model counts ${modelCounts.join(",")}`);
  // After a model: each of the 2 validation fragments is equally likely (a program always validates).
  const afterModel = new Map<string, number>();
  for (const p of programs) {
    const i = p.findIndex((t) => t.startsWith("model."));
    afterModel.set(p[i + 1]!, (afterModel.get(p[i + 1]!) ?? 0) + 1);
  }
  assert.deepEqual([...afterModel.keys()].sort(), ["valid.cv3", "valid.holdout"]);
  assert.ok(chiSquareUniform([...afterModel.values()]) < chiSquareCritical(1), JSON.stringify([...afterModel]));
  // After load: 5 prep + 8 feature fragments, so prep comes first in 5/13 of programs (binomial, 4 standard deviations).
  const prepFirst = programs.filter((p) => p[2]!.startsWith("prep.")).length / DRAWS;
  const sd = Math.sqrt(((5 / 13) * (8 / 13)) / DRAWS);
  assert.ok(Math.abs(prepFirst - 5 / 13) < 4 * sd, `prep first in ${prepFirst}`);
});

test("a tight length limit still ends every program; a random search renders runnable-looking programs", async () => {
  const rng = new Rng(7);
  for (let i = 0; i < 300; i++) {
    const p = drawUniformProgram(vocab, rng, 9).map((id) => vocab.token(id));
    assert.equal(p.length, 9);
    assert.equal(p.at(-1), EOS);
  }
  assert.throws(() => drawUniformProgram(vocab, rng, 8), RangeError);
  const task = getTask("mini-leaf-classification", tempDir("mlerl-random-data-"));
  const a = new RandomSearch({ task, seed: 1 });
  const b = new RandomSearch({ task, seed: 1 });
  const [pa, pb] = [await a.propose(), await b.propose()];
  assert.equal(pa.code, pb.code, "the same task and seed draw the same programs");
  assert.equal(pa.step, "random");
  assert.match(pa.code, /# ---- model\./);
});
