/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core): a short real training run and a
 * tiny AIDE-style baseline in the sandbox, watched live; a hostile program's output shown inert. Screenshots go
 * to test-artifacts/dashboard/ (gitignored) for a look.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { reportScoreOf } from "../../src/core/rollout.js";
import { loadAssets } from "../../src/dashboard/bundle.js";
import type { RunsResponse } from "../../src/dashboard/api.js";
import { idOf } from "../../src/dashboard/catalog.js";
import { EvalResult } from "../../src/eval/result.js";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.js";
import { registryLookup } from "../../src/dashboard/tasks.js";
import { AstInstrumenter } from "../../src/instrument/index.js";
import { repoRoot } from "../../src/paths.js";
import { runRollout } from "../../src/rollout/run-rollout.js";
import { BwrapExecutor } from "../../src/sandbox/index.js";
import { RunStore } from "../../src/store/run-store.js";
import { prepareTasks, requirePrepared } from "../../src/tasks/registry.js";
import { tempDir } from "../agent/tmp.js";

const CHROMIUM = process.env.MLERL_CHROMIUM ?? "/usr/bin/chromium";
const TASK = "mini-leaf-classification";
const SHOTS = join(repoRoot(), "test-artifacts", "dashboard");
const root = tempDir("mlerl-dashboard-e2e-");
const runs = join(root, "runs");
const dataDir = join(root, "data");
const bin = join(repoRoot(), "bin", "mlerl");

const HOSTILE = [
  "import sys",
  "print('<script>window.__pwned = 1</script>')",
  "print('<img src=x onerror=\"window.__pwned = 2\">')",
  'print(\'<b onmouseover="window.__pwned = 3">hover</b> <a href="javascript:window.__pwned=4">link</a>\')',
  "sys.stdout.write('\\x1b[2J\\x1b[31mRED\\x1b]0;owned\\x07' * 3000 + '\\n')",
  "print('@@mlerl ' + '0' * 32 + ' imports')",
  "sys.stderr.write('<iframe src=\"javascript:window.__pwned=5\"></iframe>\\n')",
  "raise SystemExit(1)",
  "",
].join("\n");

function mlerl(args: string[], log: string): ChildProcess {
  const child = spawn("nice", ["-n", "5", bin, "--data-dir", dataDir, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  child.on("exit", () => writeFileSync(join(root, log), err));
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

/** The hostile program run through the real sandbox and grader, stored like a training rollout. */
async function hostileRun(dir: string): Promise<number> {
  await prepareTasks([TASK], dataDir, () => {});
  const { spec, paths } = requirePrepared(TASK, dataDir);
  const store = RunStore.open(dir);
  const instrumenter = new AstInstrumenter();
  try {
    store.setMeta("method", "hostile-output");
    store.setMeta("elapsed_sec", "1");
    const id = store.startRollout({
      taskId: TASK,
      kind: "scratch",
      parentId: null,
      action: { code: HOSTILE, policyVersion: 0, payload: null },
      startedAt: 0,
    });
    store.writeArtifacts(id, { "program.py": HOSTILE });
    const run = await runRollout({ executor: new BwrapExecutor(), instrumenter, spec, paths, code: HOSTILE, outDir: store.rolloutDir(id) });
    store.finishRollout(id, run.record, run.record.reward.wallSec);
    return id;
  } finally {
    await instrumenter.close();
    store.close();
  }
}

async function shot(page: Page, name: string): Promise<void> {
  // The whole page, cut at a height a reader takes in at once.
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({
    path: join(SHOTS, `${name}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width: 1400, height: Math.min(height, 1300) },
  });
}

describe("the dashboard in a real browser", { timeout: 900_000 }, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let train: ChildProcess;
  let aide: ChildProcess;
  const errors: string[] = [];
  const trainDir = join(runs, "train");
  const aideDir = join(runs, "aide");
  const hostileDir = join(runs, "hostile");

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: bash scripts/setup.sh installs it (apt-get install chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    mkdirSync(runs, { recursive: true });
    // A corrupt run (a run.sqlite that is not SQLite) must show as a message, not break the page.
    mkdirSync(join(runs, "corrupt"), { recursive: true });
    writeFileSync(join(runs, "corrupt", "run.sqlite"), "this is not a database");
    dashboard = await startDashboard({
      dirs: [runs, join(root, "no-such-dir")],
      host: "127.0.0.1",
      port: 0,
      token: null,
      assets: await loadAssets(),
      lookup: registryLookup(dataDir),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
  });

  after(async () => {
    for (const c of [train, aide]) if (c && c.exitCode === null) c.kill("SIGINT");
    await Promise.all([train, aide].filter(Boolean).map(exited));
    await browser?.close();
    await dashboard?.close();
  });

  it("shows a live training run's rollouts as they appear, without a reload", async () => {
    await page.goto(dashboard.url);
    await page.waitForSelector("#runs");
    await page.getByText("no such directory").first().waitFor();
    await page.getByText("run.sqlite cannot be opened").first().waitFor();
    train = mlerl(
      ["train", "--task", TASK, "--rollouts", "8", "--batch", "3", "--executors", "2", "--improve-prob", "0.5", "--run-dir", trainDir],
      "train.log",
    );
    aide = mlerl(["baseline", "aide", "--task", TASK, "--budget-executions", "8", "--executors", "1", "--run-dir", aideDir], "aide.log");
    const id = idOf(trainDir);
    // The run appears on the open runs page by polling.
    await page.waitForSelector(`tr[data-id="${id}"]`, { timeout: 300_000 });
    await page.evaluate(() => Object.assign(window, { __sameDocument: true }));
    await page.click(`tr[data-id="${id}"] a[href="#/run/${id}/rollouts"]`);
    await page.waitForSelector("#rollouts tbody tr[data-id]", { timeout: 300_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, "no reload happened");
    await shot(page, "rollouts-live");
    await page.waitForFunction(() => document.querySelectorAll("#rollouts tbody tr[data-id]").length >= 4, null, { timeout: 300_000 });
    await shot(page, "rollouts");
    // The run finishes; its status turns to done on the open page.
    assert.equal(await exited(train), 0, "the training run succeeds");
    await page.click(`a[href="#/run/${id}"]`);
    await page.waitForFunction(() => document.getElementById("run-status")?.textContent === "done", null, { timeout: 60_000 });
    await page.waitForSelector("#curves canvas");
    await shot(page, "run-curves");
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, "still no reload");
  });

  it("opens a rollout: the program and reward breakdown shown are the store's", async () => {
    const store = RunStore.openReadonly(trainDir);
    const r = store.rollouts().find((x) => x.record !== null)!;
    store.close();
    const id = idOf(trainDir);
    await page.goto(`${dashboard.url}#/run/${id}/rollouts`);
    await page.click(`#rollouts a[href="#/run/${id}/rollout/${r.id}"]`);
    await page.waitForSelector("#program");
    const program = await page.$$eval("#program .line", (lines) => lines.map((l) => (l.textContent ?? "").replace(/^\d+/, "")).join("\n"));
    assert.equal(program, r.action.code);
    const cell = (key: string) => page.$eval(`#reward-breakdown td[data-key="${key}"]`, (td) => td.textContent);
    const b = r.record!.reward;
    assert.equal(Number(await cell("reward")), Number(b.reward.toPrecision(6)));
    assert.equal(await cell("failure kind"), b.failureKind);
    assert.equal(await cell("valid submission"), String(b.validSubmission));
    assert.equal(await cell("milestones reached"), b.milestonesReached.join(", ") || "none");
    const score = reportScoreOf(r.record!);
    assert.equal(await cell("report-split score"), score === null ? "–" : String(Number(score.toPrecision(6))));
    if (r.record!.instrumentation.instrumenter === "ast") assert.ok((await page.$$("#program .site")).length > 0, "sites shown inline");
    await shot(page, "rollout");
  });

  it("follows an improve rollout to its parent, and shows the search as a tree", async () => {
    assert.equal(await exited(aide), 0, "the AIDE-style baseline succeeds");
    const withParent = [trainDir, aideDir].flatMap((dir) => {
      const s = RunStore.openReadonly(dir);
      const found = s
        .rollouts()
        .filter((x) => x.kind === "improve" && x.parentId !== null)
        .map((x) => ({ dir, rollout: x }));
      s.close();
      return found;
    });
    assert.ok(withParent.length > 0, "an improve (or debug) rollout with a parent exists");
    const { dir, rollout } = withParent[0]!;
    const id = idOf(dir);
    await page.goto(`${dashboard.url}#/run/${id}/rollout/${rollout.id}`);
    await page.waitForSelector("#diff");
    await page.locator("section:has(#diff)").screenshot({ path: join(SHOTS, "rollout-diff.png") });
    await page.click(`section:has(#diff) a[href="#/run/${id}/rollout/${rollout.parentId}"]`);
    await page.waitForFunction((pid) => document.querySelector("h1")?.textContent?.startsWith(`Rollout #${pid}`), rollout.parentId);
    const parentProgram = await page.$$eval("#program .line", (lines) =>
      lines.map((l) => (l.textContent ?? "").replace(/^\d+/, "")).join("\n"),
    );
    const s = RunStore.openReadonly(dir);
    assert.equal(parentProgram, s.rollout(rollout.parentId!)!.action.code);
    s.close();
    // The search nodes are the baseline's (the improve rollout above may be the training run's).
    const search = RunStore.openReadonly(aideDir);
    const nodes = search.rollouts().filter((x) => x.record?.search !== undefined);
    search.close();

    const aideId = idOf(aideDir);
    await page.goto(`${dashboard.url}#/run/${aideId}/tree`);
    await page.waitForSelector(".tree a.node");
    assert.equal((await page.$$(".tree li[data-id]")).length, nodes.length, "every search node is in the tree");
    const child = nodes.find((n) => n.parentId !== null);
    if (child)
      assert.ok(
        await page.$(`.tree li[data-id="${child.parentId}"] li[data-id="${child.id}"]`),
        "a debug/improve node sits under its parent",
      );
    await shot(page, "aide-tree");
    await page.click(`.tree li[data-id="${nodes[0]!.id}"] > a.node`);
    await page.waitForSelector("#program");
  });

  it("shows the report beside the runs and the baseline's evaluation attempts", async () => {
    const out = join(runs, "report");
    const r = spawnSync(bin, ["--data-dir", dataDir, "report", trainDir, aideDir, "--out", out], { encoding: "utf8", timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    const evaluation = EvalResult.parse(JSON.parse(readFileSync(join(aideDir, "eval.json"), "utf8")));
    await page.goto(`${dashboard.url}#/run/${idOf(aideDir)}/report`);
    await page.waitForSelector("img.plot-img");
    const attempts = evaluation.tasks.reduce((n, t) => n + t.attempts.length, 0);
    assert.equal((await page.$$("table.attempts tbody tr")).length, attempts, "every eval attempt is listed");
    assert.ok(await page.$eval("img.plot-img", (img) => (img as HTMLImageElement).naturalWidth > 0), "the report's plot loads");
    await shot(page, "report");
    // The runs list shows the report's own numbers: its best score per task and method.
    const json = spawnSync(bin, ["--data-dir", dataDir, "report", aideDir, "--out", join(root, "aide-report"), "--json"], {
      encoding: "utf8",
    });
    assert.equal(json.status, 0, json.stderr);
    const model = JSON.parse(json.stdout.slice(json.stdout.indexOf("{"))) as {
      training: { taskId: string; rows: { bestOverall: number | null }[] }[];
    };
    const listed = (JSON.parse(await (await fetch(`${dashboard.url}api/runs`)).text()) as RunsResponse).runs.find(
      (x) => x.dir === aideDir,
    )!;
    for (const t of model.training) assert.equal(listed.best.find((b) => b.taskId === t.taskId)?.best, t.rows[0]!.bestOverall, t.taskId);
  });

  it("shows a hostile program's output as inert text", async () => {
    const rolloutId = await hostileRun(hostileDir);
    const id = idOf(hostileDir);
    await page.goto(`${dashboard.url}#/run/${id}/rollout/${rolloutId}`);
    await page.waitForSelector("#stdout .line");
    const state = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
      injected: document.querySelectorAll(".view img, .view iframe, .view b, .view script, [onerror], [onmouseover]").length,
      stdout: document.getElementById("stdout")?.textContent ?? "",
      stderr: document.getElementById("stderr")?.textContent ?? "",
      program: document.getElementById("program")?.textContent ?? "",
      title: document.title,
    }));
    assert.equal(state.pwned, null, "nothing the program printed ran");
    assert.deepEqual(state.scripts, ["/app.js"], "the page's own script is the only one");
    assert.equal(state.injected, 0, "no element was made from the output");
    assert.match(state.stdout, /<script>window\.__pwned = 1<\/script>/, "the script tag is shown as text");
    assert.match(state.stdout, /onerror="window\.__pwned = 2"/);
    assert.match(state.stdout, /\u241b\[2J\u241b\[31mRED/, "terminal escapes are shown as symbols");
    assert.doesNotMatch(state.stdout, /\u001b/, "no raw escape reaches the page");
    assert.match(state.stderr, /<iframe src="javascript:window\.__pwned=5"><\/iframe>/);
    assert.match(state.program, /print\('<script>/);
    assert.equal(state.title, "mlerl dashboard", "an OSC title sequence changed nothing");
    assert.ok((await page.$$("#stdout .line.rejected")).length >= 1, "the forged marker is flagged as rejected");
    await page.hover("#stdout");
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? null), null);
    await shot(page, "hostile-output");
    await page.goto(`${dashboard.url}#/`);
    await page.waitForSelector(`tr[data-id="${id}"]`);
    await shot(page, "runs");
    assert.deepEqual(errors, [], "no page errors");
  });
});
