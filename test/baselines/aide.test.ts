import { test } from "node:test";
import assert from "node:assert/strict";
import { AideSearch, aideDecision, DEFAULT_AIDE, type AideState } from "../../src/baselines/aide.js";
import type { SearchNode, StepKind, VisibleOutcome } from "../../src/baselines/search.js";
import type { FailureKind } from "../../src/core/rollout.js";
import { getTask } from "../../src/tasks/registry.js";
import { ScriptedSampler, tempDir } from "../eval/fixtures.js";

const good = (metric: number): VisibleOutcome => ({
  validSubmission: true,
  validationMetric: metric,
  failureKind: "none",
  milestones: 5,
  output: "",
  summary: "exited 0",
});
const buggy = (failureKind: FailureKind = "runtime_error", milestones = 2): VisibleOutcome => ({
  validSubmission: false,
  validationMetric: null,
  failureKind,
  milestones,
  output: "Traceback",
  summary: "exited 1",
});
const node = (id: number, step: StepKind, outcome: VisibleOutcome, parentNode: number | null = null, debugDepth = 0): SearchNode => ({
  id,
  parentNode,
  step,
  tokens: [id],
  code: `# ${id}`,
  outcome,
  debugDepth,
});

/** A scripted uniform source: returns the given numbers in order and fails if asked for more. */
function script(...xs: number[]): () => number {
  return () => {
    const x = xs.shift();
    if (x === undefined) throw new Error("the decision drew more random numbers than scripted");
    return x;
  };
}

// Five drafts: 0 good (0.3), 1 buggy, 2 good (0.2), 3 buggy, 4 buggy with a debug child 5 (buggy, depth 1).
const TREE: SearchNode[] = [
  node(0, "draft", good(0.3)),
  node(1, "draft", buggy()),
  node(2, "draft", good(0.2)),
  node(3, "draft", buggy()),
  node(4, "draft", buggy()),
  node(5, "debug", buggy(), 4, 1),
];
const state = (nodes: SearchNode[], pendingDrafts = 0, pendingParents: number[] = []): AideState => ({
  nodes,
  pendingDrafts,
  pendingParents: new Set(pendingParents),
});

test("drafts come first, counting drafts still in flight", () => {
  assert.deepEqual(aideDecision(state([]), script(), DEFAULT_AIDE, true), { kind: "draft" });
  assert.deepEqual(aideDecision(state(TREE.slice(0, 3), 1), script(), DEFAULT_AIDE, true), { kind: "draft" });
  // 3 finished + 2 in flight = 5 drafts: the coin is tossed (0.9: no debug) and the best good node improved.
  assert.deepEqual(aideDecision(state(TREE.slice(0, 3), 2), script(0.9), DEFAULT_AIDE, true), { kind: "improve", node: 2 });
});

test("with probability debugProb a random buggy leaf is debugged; otherwise the best good node by validation metric is improved", () => {
  // Debuggable leaves: 1, 3, 5 (4 has a child). Coin 0.1 < 0.5 → debug; 0.0 → the first, 0.5 → the second, 0.99 → the third.
  assert.deepEqual(aideDecision(state(TREE), script(0.1, 0.0), DEFAULT_AIDE, true), { kind: "debug", node: 1 });
  assert.deepEqual(aideDecision(state(TREE), script(0.1, 0.5), DEFAULT_AIDE, true), { kind: "debug", node: 3 });
  assert.deepEqual(aideDecision(state(TREE), script(0.1, 0.99), DEFAULT_AIDE, true), { kind: "debug", node: 5 });
  // A node with a child in flight is not a leaf.
  assert.deepEqual(aideDecision(state(TREE, 0, [1]), script(0.1, 0.0), DEFAULT_AIDE, true), { kind: "debug", node: 3 });
  // Coin 0.7 ≥ 0.5 → improve the best: 0.2 when lower is better, 0.3 when higher is better.
  assert.deepEqual(aideDecision(state(TREE), script(0.7), DEFAULT_AIDE, true), { kind: "improve", node: 2 });
  assert.deepEqual(aideDecision(state(TREE), script(0.7), DEFAULT_AIDE, false), { kind: "improve", node: 0 });
});

test("debug depth is capped at maxDebugDepth; with nothing to debug and no good node, AIDE drafts", () => {
  const chain = [
    node(0, "draft", buggy()),
    node(1, "debug", buggy(), 0, 1),
    node(2, "debug", buggy(), 1, 2),
    node(3, "debug", buggy(), 2, 3),
  ];
  const drafts = [1, 2, 3, 4].map((i) => node(10 + i, "draft", good(0.5)));
  // The depth-3 leaf may still be debugged (AIDE: depth <= max) ...
  assert.deepEqual(aideDecision(state([...chain, ...drafts]), script(0.0, 0.0), DEFAULT_AIDE, true), { kind: "debug", node: 3 });
  // ... a depth-4 leaf may not: the search falls through to improving the best good node.
  const deeper = [...chain, node(4, "debug", buggy(), 3, 4)];
  assert.deepEqual(aideDecision(state([...deeper, ...drafts]), script(0.0), DEFAULT_AIDE, true), { kind: "improve", node: 11 });
  const allBuggy = [0, 1, 2, 3, 4].map((i) => node(i, "draft", buggy()));
  assert.deepEqual(aideDecision(state(allBuggy), script(0.9), DEFAULT_AIDE, true), { kind: "draft" });
  assert.deepEqual(aideDecision(state(allBuggy, 0, [0, 1, 2, 3, 4]), script(0.1), DEFAULT_AIDE, true), { kind: "draft" });
  // A valid submission without a printed metric is buggy to AIDE (its review flags a missing metric).
  const noMetric = { ...good(0), validationMetric: null };
  assert.deepEqual(aideDecision(state([0, 1, 2, 3, 4].map((i) => node(i, "draft", noMetric))), script(0.9), DEFAULT_AIDE, true), {
    kind: "draft",
  });
});

test("an AIDE search drives a Sampler: drafts are scratch requests, debug and improve continue the chosen node", async () => {
  const task = getTask("mini-nomad2018-predict-transparent-conductors", tempDir("mlerl-aide-data-"));
  assert.equal(task.lowerIsBetter, true);
  const sampler = new ScriptedSampler((req, i) => `# program ${i} (${req.kind})`);
  const search = new AideSearch({ task, seed: 0, sampler, random: script(0.9, 0.1, 0.0, 0.9) });
  // Five drafts proposed at once (all in flight): the pending count stops a sixth draft only once one is good.
  const drafts = await Promise.all([0, 1, 2, 3, 4].map(() => search.propose()));
  assert.deepEqual(
    drafts.map((d) => d.step),
    ["draft", "draft", "draft", "draft", "draft"],
  );
  const outcomes = [good(0.3), buggy("timeout", 4), good(0.2), buggy(), buggy()];
  drafts.forEach((d, i) => search.complete(d, outcomes[i]!));

  const improve = await search.propose(); // coin 0.9 → improve the best (node 2, 0.2)
  assert.equal(improve.step, "improve");
  assert.equal(improve.parentNode, 2);
  search.complete(improve, good(0.1));
  const debug = await search.propose(); // coin 0.1 → debug; 0.0 → the first buggy leaf, node 1
  assert.equal(debug.step, "debug");
  assert.equal(debug.parentNode, 1);
  search.complete(debug, good(0.4));
  const again = await search.propose(); // coin 0.9 → improve the new best, node 5 (0.1)
  assert.equal(again.parentNode, 5);

  const kinds = sampler.requests.map((r) => r.request.kind);
  assert.deepEqual(kinds, ["scratch", "scratch", "scratch", "scratch", "scratch", "improve", "improve", "improve"]);
  const [imp, dbg, imp2] = sampler.requests.slice(5).map((r) => r.request);
  assert.ok(imp?.kind === "improve" && dbg?.kind === "improve" && imp2?.kind === "improve");
  // Each continues the chosen node's own tokens, with the training loop's feedback vocabulary.
  assert.deepEqual(imp.previous.tokens, drafts[2]!.tokens);
  assert.equal(imp.previous.stageReached, "valid");
  assert.equal(imp.previous.validationScore, 0.2);
  assert.deepEqual(dbg.previous.tokens, drafts[1]!.tokens);
  assert.equal(dbg.previous.failure, "timeout");
  assert.deepEqual(imp2.previous.tokens, improve.tokens);
  assert.equal(search.nodes[6]?.debugDepth, 1);
});
