/**
 * End to end on CPU: the reference trainer serving a tiny randomly initialised Qwen2 model (built locally, nothing
 * downloaded), `mlerl train --policy openai --trainer http --instrumenter lm` on a built-in task, the server killed
 * mid-run, restarted, and the run resumed.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../src/paths.js";
import { OpenAISampler } from "../../src/policy/openai.js";
import { requirePrepared } from "../../src/tasks/registry.js";
import { TokenPayload } from "../../src/rl/policy-adapter.js";
import { z } from "zod";
import { RolloutRecord } from "../../src/core/rollout.js";
import { RunStore } from "../../src/store/run-store.js";
import { datumFromCompletion } from "../../src/trainer/datum.js";
import { HttpTrainer, startTrainerServer, type TrainerServer } from "../../src/trainer/http.js";
import { tempDir } from "../agent/tmp.js";

const root = tempDir("mlerl-lm-e2e-");
const dataDir = join(root, "data");
const runDir = join(root, "run");
const bin = join(repoRoot(), "bin", "mlerl");
const TASK = "mini-leaf-classification";
const ROLLOUTS = 10;
const servers: TrainerServer[] = [];
after(async () => {
  for (const s of servers) await s.stop();
});

function trainArgs(url: string): string[] {
  return [
    "--data-dir",
    dataDir,
    "train",
    "--policy",
    "openai",
    "--trainer",
    "http",
    "--base-url",
    url,
    "--trainer-url",
    url,
    "--instrumenter",
    "lm",
    "--task",
    TASK,
    "--rollouts",
    String(ROLLOUTS),
    "--batch",
    "2",
    "--epochs",
    "1",
    "--executors",
    "2",
    "--max-tokens",
    "24",
    "--timeout",
    "20",
    "--lr",
    "0.001",
    "--run-dir",
    runDir,
    "--json",
  ];
}

/** The completion part of a datum's learner logprobs. */
function completionLogprobs(row: number[], p: TokenPayload): number[] {
  return row.slice(p.promptTokens.length - 1);
}

function readRun() {
  const store = RunStore.open(runDir);
  try {
    return { rollouts: store.rollouts(), updates: store.updates() };
  } finally {
    store.close();
  }
}

test(
  "a real LM trains through the trainer server: exact behaviour logprobs, learning, versions followed, a killed server stops the run with a clear error and --resume finishes it",
  { timeout: 300_000 },
  async (t) => {
    const first = await startTrainerServer({ threads: 1 });
    servers.push(first);
    const port = first.port;

    // Phase 1: train until the second update is being checkpointed, then kill the server under the running CLI
    // (the save may or may not have landed: either way the run must stop cleanly and resume).
    const child = spawn(bin, trainArgs(first.url), { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    let finishedEarly = false;
    for (;;) {
      if (existsSync(join(runDir, "checkpoints", "v000002"))) break;
      if (child.exitCode !== null) {
        finishedEarly = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(finishedEarly, false, `the run ended before its second update:\n${stderr}`);
    first.child.kill("SIGKILL");
    const code = await exited;
    assert.notEqual(code, 0, "a dead trainer is an error");
    // With --json the error is the JSON on stdout, in place of the summary: message and fix, no stack trace.
    const failure = z
      .object({ error: z.object({ message: z.string(), fix: z.string() }) })
      .strict()
      .parse(JSON.parse(stdout));
    assert.match(failure.error.message, new RegExp(`http://127\\.0\\.0\\.1:${port}`), stdout);
    assert.match(failure.error.fix, /--resume/);
    for (const text of [stdout, stderr]) assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, "no stack trace");
    t.diagnostic(`killed server: ${failure.error.message} | fix: ${failure.error.fix}`);

    const before = readRun();
    const finishedBefore = before.rollouts.filter((r) => r.status !== "running").length;
    assert.ok(before.updates.length >= 1 && finishedBefore < ROLLOUTS, `${before.updates.length} updates, ${finishedBefore} rollouts`);
    // Every sample came from a version the trainer had: one it checkpointed, or the step whose save the kill cut off.
    const recorded = before.updates.map((u) => u.version);
    const versionsTrained = new Set([0, ...recorded, Math.max(...recorded) + 1]);
    for (const r of before.rollouts)
      assert.ok(versionsTrained.has(r.policyVersion), `rollout ${r.id} sampled with version ${r.policyVersion}`);
    assert.ok(
      before.rollouts.some((r) => r.policyVersion >= 1),
      "sampling followed the first update",
    );

    // Phase 2: a fresh server on the same port holds version 0 again (LoRA starts as the identity, same seed).
    const second = await startTrainerServer({ threads: 1, port });
    servers.push(second);
    const trainer = await HttpTrainer.connect(second.url);
    assert.equal(trainer.version(), 0);
    const atZero = before.rollouts.filter((r) => r.policyVersion === 0).map((r) => TokenPayload.parse(r.action.payload));
    assert.ok(atZero.length >= 2);
    // The logprobs the server reported when sampling equal the trainer's recomputation of the same tokens.
    const recomputed = await trainer.forwardBackward(
      atZero.map((p) => datumFromCompletion(p, 0)),
      { name: "importance_sampling" },
    );
    let worst = 0;
    atZero.forEach((p, i) => {
      const mine = completionLogprobs(recomputed.logprobs[i]!, p);
      assert.equal(mine.length, p.logprobs.length);
      for (const [j, lp] of mine.entries()) worst = Math.max(worst, Math.abs(lp - p.logprobs[j]!));
    });
    assert.ok(worst < 2e-4, `sampler and learner disagree by up to ${worst}`);
    t.diagnostic(
      `${atZero.length} rollouts at version 0, ${atZero.reduce((a, p) => a + p.tokens.length, 0)} tokens: max |sampled - recomputed logprob| = ${worst.toExponential(2)}`,
    );
    const firstUpdate = before.updates[0]!.stats;
    if (firstUpdate.extra.trainedTokens! > 0) {
      assert.ok(
        Math.abs(firstUpdate.extra.meanRatio! - 1) < 1e-3 && Math.abs(firstUpdate.kl) < 1e-4,
        `first update: ratio ${firstUpdate.extra.meanRatio}, kl ${firstUpdate.kl}`,
      );
    }

    // An update with a positive advantage raises the sampled tokens' logprob.
    const p = atZero[0]!;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const lpBefore = sum(completionLogprobs(recomputed.logprobs[0]!, p));
    await trainer.forwardBackward([datumFromCompletion(p, 1)], { name: "importance_sampling" });
    const step = await trainer.optimStep({ learningRate: 1e-3 });
    assert.equal(step.version, 1);
    const afterStep = await trainer.forwardBackward([datumFromCompletion(p, 0)], { name: "importance_sampling" });
    const lpAfter = sum(completionLogprobs(afterStep.logprobs[0]!, p));
    assert.ok(lpAfter > lpBefore + 1e-3, `logprob of the reinforced tokens ${lpBefore} -> ${lpAfter}`);
    t.diagnostic(
      `positive advantage, one step: sum logprob ${lpBefore.toFixed(3)} -> ${lpAfter.toFixed(3)}; first loop update ratio ${firstUpdate.extra.meanRatio} kl ${firstUpdate.kl} trainedTokens ${firstUpdate.extra.trainedTokens}`,
    );

    // Phase 3: resume. The trainer reloads the last checkpoint; every rollout is finished exactly once.
    const resumed = spawnSync(bin, ["--data-dir", dataDir, "train", "--resume", runDir, "--json"], { encoding: "utf8", timeout: 240_000 });
    assert.equal(resumed.status, 0, resumed.stderr);
    const lastCheckpoint = before.updates.at(-1)!;
    assert.match(
      resumed.stderr,
      new RegExp(`loaded .*v${String(lastCheckpoint.version).padStart(6, "0")} \\(version ${lastCheckpoint.version}\\)`),
    );
    const summary = JSON.parse(resumed.stdout) as { rollouts: number; policyVersion: number };
    assert.equal(summary.rollouts, ROLLOUTS);
    const done = readRun();
    assert.deepEqual(
      done.rollouts.map((r) => r.id),
      Array.from({ length: ROLLOUTS }, (_, i) => i + 1),
      "no rollout lost or duplicated",
    );
    assert.ok(done.rollouts.every((r) => r.status !== "running"));
    const trainedIds = done.updates.flatMap((u) => u.stats.rolloutIds);
    assert.equal(new Set(trainedIds).size, trainedIds.length, "no rollout trained twice");
    assert.ok(trainedIds.length >= ROLLOUTS - 1 && trainedIds.every((id) => id >= 1 && id <= ROLLOUTS));
    const versions = done.updates.map((u) => u.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.ok(versions.at(-1)! > lastCheckpoint.version, "training continued from the checkpoint");
    assert.equal(summary.policyVersion, versions.at(-1));
    const later = done.rollouts.filter((r) => r.id > before.rollouts.length);
    for (const r of later)
      assert.ok(r.policyVersion >= lastCheckpoint.version, `rollout ${r.id}, sampled after the resume, used version ${r.policyVersion}`);
    await trainer.refreshVersion();
    assert.equal(trainer.version(), versions.at(-1), "the server holds the run's final version");

    // Every rollout went through the LM instrumenter; what it decided (a random model's copy is rejected) is on record.
    const notes = readdirSync(join(runDir, "rollouts"))
      .map((d) => join(runDir, "rollouts", d, "record.json"))
      .filter(existsSync)
      .map((f) => RolloutRecord.parse(JSON.parse(readFileSync(f, "utf8"))).instrumentation.note);
    assert.ok(notes.length >= ROLLOUTS);
    assert.ok(
      notes.every((n) => n === null || /^lm output rejected \(.+\); used ast/.test(n)),
      notes.join("\n"),
    );
    assert.ok(
      notes.some((n) => n !== null),
      "the LM instrumenter was consulted",
    );

    // Phase 4: the sampler on both endpoints against the trained adapter: it reports the trainer's version, and its
    // logprobs still equal the learner's (the adapter is no longer the identity here).
    const { spec, paths } = requirePrepared(TASK, dataDir);
    const finalVersion = trainer.version();
    assert.ok(finalVersion > 1);
    for (const api of ["chat", "completions"] as const) {
      const sampler = new OpenAISampler({
        baseUrl: second.url,
        model: "policy",
        api,
        maxTokens: 16,
        publicDirOf: () => paths.publicDir,
        timeLimitSec: 20,
        version: () => trainer.version(),
      });
      const [c] = await sampler.sample([{ task: spec, kind: "scratch" }], { seed: 11 });
      assert.equal(c!.version, finalVersion, `${api}: served by the current adapter`);
      assert.equal(c!.tokens.length, c!.logprobs.length);
      const row = (await trainer.forwardBackward([datumFromCompletion(c!, 0)], { name: "importance_sampling" })).logprobs[0]!;
      const diff = Math.max(...completionLogprobs(row, c!).map((lp, j) => Math.abs(lp - c!.logprobs[j]!)));
      assert.ok(diff < 2e-4, `${api}: sampler and learner disagree by ${diff} at version ${finalVersion}`);
      t.diagnostic(
        `${api} at version ${finalVersion}: ${c!.promptTokens.length} prompt + ${c!.tokens.length} tokens, max |Δ logprob| ${diff.toExponential(2)}`,
      );
    }
  },
);
