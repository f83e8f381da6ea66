/**
 * Programs that read their own memory to forge markers, run on the real bubblewrap sandbox with the real launcher
 * (test/instrument/hostile-programs.ts). Two layers are checked separately:
 * - the plain-ML profile: through the whole rollout path each program is flagged as tampering with a reason, runs
 *   without markers, and earns no partial credit (its record says why);
 * - the runtime defences: started with markers anyway, as if the profile had missed it, each earns no milestone
 *   it did not reach, although its scanner demonstrably reads its own heap.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AstInstrumenter } from "../../src/instrument/ast.js";
import { launchArgs, launchStdin } from "../../src/instrument/launch.js";
import { MarkerScanner, stripMarkers } from "../../src/instrument/markers.js";
import { markerTags, newNonce } from "../../src/instrument/nonce.js";
import { tamperingVerdict } from "../../src/instrument/tampering.js";
import { MARKER_KINDS } from "../../src/instrument/types.js";
import { runRollout } from "../../src/rollout/run-rollout.js";
import { BwrapExecutor } from "../../src/sandbox/index.js";
import { prepareTasks, requirePrepared } from "../../src/tasks/registry.js";
import { sandboxUnavailable } from "../sandbox/helpers.js";
import { OBFUSCATED, RUNTIME_ATTACKS, type Hostile } from "./hostile-programs.js";

const TASK = "mini-nomad2018-predict-transparent-conductors";
const root = mkdtempSync(join(tmpdir(), "mlerl-memforge-"));
const instrumenter = new AstInstrumenter();
let env: { executor: BwrapExecutor; spec: ReturnType<typeof requirePrepared>["spec"]; paths: ReturnType<typeof requirePrepared>["paths"] };
let n = 0;
const outDir = () => join(root, "runs", String(n++));

before(async () => {
  if (sandboxUnavailable) return;
  await prepareTasks([TASK], join(root, "data"), () => {});
  env = { executor: new BwrapExecutor(), ...requirePrepared(TASK, join(root, "data")) };
});
after(async () => {
  await instrumenter.close();
  rmSync(root, { recursive: true, force: true });
});

/** Milestones a program may reach honestly before its attack (its first statements are imports, and a probe array). */
const HONEST = new Set(["imports", "features_built"]);

async function flaggedByProfile(h: Hostile): Promise<void> {
  const dir = outDir();
  const run = await runRollout({ ...env, instrumenter, code: h.code, outDir: dir, limits: { timeoutSec: 120 } });
  const { instrumentation, reward } = run.record;
  assert.ok(instrumentation.tampering, "flagged as tampering");
  assert.ok(
    instrumentation.tampering.some((r) => h.profile.test(r)),
    `a reason matches ${h.profile}: ${JSON.stringify(instrumentation.tampering)}`,
  );
  assert.deepEqual(instrumentation.credited, [], "started without markers: no marker line entered the process");
  assert.equal(reward.reward, -10, "no partial credit");
  const written = JSON.parse(readFileSync(join(dir, "reward.json"), "utf8")) as { instrumentation: { tampering: string[] | null } };
  assert.deepEqual(written.instrumentation.tampering, instrumentation.tampering, "reward.json says why");
  const record = JSON.parse(readFileSync(join(dir, "record.json"), "utf8")) as { instrumentation: { tampering: string[] | null } };
  assert.deepEqual(record.instrumentation.tampering, instrumentation.tampering, "so does the stored record");
}

/** Runs an attack in the sandbox started with this execution's markers, as if the profile had let it through. */
async function runWithMarkers(code: string) {
  const nonce = newNonce();
  const inst = await instrumenter.instrument(code, nonce);
  const scanner = new MarkerScanner(nonce);
  const res = await env.executor.run({
    code,
    publicDir: env.paths.publicDir,
    outDir: outDir(),
    limits: { timeoutSec: 120 },
    launch: { args: launchArgs, stdin: launchStdin(inst.sites, nonce) },
    onStdout: (chunk) => scanner.push(chunk),
  });
  return { nonce, inst, res, report: scanner.finish() };
}

for (const h of RUNTIME_ATTACKS) {
  test(`${h.name}: the profile flags it and the rollout earns nothing`, { skip: sandboxUnavailable }, () => flaggedByProfile(h));

  test(`${h.name}, started with markers as if the profile had missed it: no forged milestone`, { skip: sandboxUnavailable }, async () => {
    const { nonce, inst, res, report } = await runWithMarkers(h.code);
    assert.deepEqual(
      [...new Set(inst.sites.map((s) => s.kind))].sort(),
      [...MARKER_KINDS].sort(),
      "the launcher holds a line for every kind it could be asked to forge",
    );
    const out = `${res.stdout.text}\n${res.stderr.text}`;
    assert.match(out, h.ran, `the attack ran: ${out.slice(-3000)}`);
    for (const m of report.milestones) assert.ok(HONEST.has(m), `forged milestone ${m}`);
    assert.equal(report.validationMetric, null, "no forged metric");
    assert.equal(report.replayed, 0, "the program never printed a genuine line itself");
    const own = stripMarkers(res.stdout.text, nonce);
    for (const tag of markerTags(nonce).keys()) assert.ok(!own.includes(tag), "no tag of this execution in the program's own output");
    if (/forged [1-9]/.test(out)) assert.ok(tamperingVerdict(null, report), "printing guessed markers is itself flagged");
  });
}

test("the numpy scanner dies on the marker pages and finds no tag in the rest", { skip: sandboxUnavailable }, async () => {
  const { res } = await runWithMarkers(RUNTIME_ATTACKS[0]!.code);
  assert.match(res.stdout.text, /canary found True/);
  assert.match(res.stdout.text, /secretmem.*killed by signal 11/, "reading a marker page faults");
  assert.match(res.stdout.text, /forged 0 lines/, "no marker line anywhere in readable memory");
});

test("/proc/self/mem cannot be opened by any of the three paths", { skip: sandboxUnavailable }, async () => {
  const { res } = await runWithMarkers(RUNTIME_ATTACKS.find((a) => a.name.startsWith("/proc/self/mem"))!.code);
  assert.doesNotMatch(res.stdout.text, /opened \/proc\/self\/mem/);
  assert.equal((res.stdout.text.match(/cannot open \/proc\/self\/mem by .* errno 13/g) ?? []).length, 3, res.stdout.text);
});

test(
  "a capture of stdout gets nothing: markers go to a private copy, which is not readable through /proc",
  { skip: sandboxUnavailable },
  async () => {
    const { res, report } = await runWithMarkers(RUNTIME_ATTACKS.find((a) => a.name.startsWith("a format-agnostic"))!.code);
    assert.match(res.stdout.text, /captured markers: 0\n/);
    assert.doesNotMatch(res.stdout.text, /opened \S+ for reading/, "stdout cannot be reopened for reading");
    assert.deepEqual(report.milestones, ["imports"], "after stdout was swapped the launcher writes nothing more");
  },
);

for (const h of OBFUSCATED) {
  test(`obfuscated: ${h.name}: the profile sees through it`, { skip: sandboxUnavailable }, () => flaggedByProfile(h));
}
