/**
 * The dashboard's server over real run stores, on 127.0.0.1 with a random port: the token and host rules on every
 * request, no write endpoints, paging/filtering/sorting in SQL against the store's own records, live status from a
 * real writer process, and old, missing or corrupt run directories answered with a message.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RolloutsResponse, RunRow, RunsResponse } from "../../src/dashboard/api.js";
import { loadAssets, type Assets } from "../../src/dashboard/bundle.js";
import { idOf } from "../../src/dashboard/catalog.js";
import { lineDiff } from "../../src/dashboard/diff.js";
import { startDashboard, type Dashboard } from "../../src/dashboard/server.js";
import { repoRoot } from "../../src/paths.js";
import { simulatedRecord } from "../../src/rollout/simulated.js";
import { openDashboard } from "../../src/dashboard/open-dashboard.js";
import { RunStore } from "../../src/store/run-store.js";
import { tempDir } from "../agent/tmp.js";

const root = tempDir("mlerl-dashboard-server-");
const lookup = () => null;

function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** A run of `n` rollouts over two tasks, outcomes and rewards varied, written with the real store API. */
function writeRun(dir: string, n: number): void {
  const store = RunStore.open(dir);
  try {
    store.setMeta("method", "rl");
    for (let i = 0; i < n; i++) {
      const id = store.startRollout({
        taskId: i % 3 === 0 ? "task-b" : "task-a",
        kind: i % 4 === 0 ? "improve" : "scratch",
        parentId: i % 4 === 0 && i > 0 ? i : null,
        action: { code: `print(${i})\n`, policyVersion: Math.floor(i / 10), payload: null },
        startedAt: i,
      });
      if (i % 7 === 6) continue; // still running
      store.finishRollout(id, simulatedRecord({ reward: ((i * 37) % 11) - 5, wallSec: 1 + (i % 5), failed: i % 2 === 0 }), i + 1 + (i % 5));
    }
  } finally {
    store.close();
  }
}

describe("the dashboard server", () => {
  let assets: Assets;
  let open: Dashboard;
  const runs = join(root, "runs");
  const big = join(runs, "big");

  before(async () => {
    assets = await loadAssets();
    mkdirSync(runs, { recursive: true });
    writeRun(big, 120);
    open = await startDashboard({ dirs: [runs], host: "127.0.0.1", port: 0, token: null, assets, lookup });
  });
  after(async () => open?.close());

  it("serves the page with a strict content security policy and no inline script", async () => {
    const page = await get(open.url);
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
    assert.doesNotMatch(String(page.headers["content-security-policy"]), /unsafe-inline/);
    assert.doesNotMatch(page.body, /<script>/, "no inline script");
    assert.equal(page.headers["x-content-type-options"], "nosniff");
  });

  it("has no write endpoints", async () => {
    for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
      const r = await get(`${open.url}api/runs`, {}, method);
      assert.equal(r.status, 405, method);
    }
  });

  it("answers on a loopback address only to loopback host names (no DNS rebinding)", async () => {
    assert.equal((await get(`${open.url}api/runs`, { Host: "evil.example:80" })).status, 421);
    assert.equal((await get(`${open.url}api/runs`, { Host: `localhost:${open.port}` })).status, 200);
  });

  it("pages, filters and sorts rollouts in SQL with the store's own values", async () => {
    const store = RunStore.openReadonly(big);
    const all = store.rollouts();
    store.close();
    const id = idOf(big);
    const valid = all
      .filter((r) => r.record?.reward.validSubmission === true)
      .sort((a, b) => a.record!.reward.reward - b.record!.reward.reward || a.id - b.id);
    const r = JSON.parse(
      (await get(`${open.url}api/rollouts?run=${id}&outcome=valid&sort=reward&dir=asc&offset=10&limit=20`)).body,
    ) as RolloutsResponse;
    assert.equal(r.total, valid.length);
    assert.deepEqual(
      r.rows.map((x) => x.id),
      valid.slice(10, 30).map((x) => x.id),
    );
    assert.ok(r.rows.every((x) => x.outcome === "valid"));
    const running = JSON.parse((await get(`${open.url}api/rollouts?run=${id}&outcome=running&task=task-a`)).body) as RolloutsResponse;
    assert.equal(running.total, all.filter((x) => x.status === "running" && x.taskId === "task-a").length);
    const improve = JSON.parse(
      (await get(`${open.url}api/rollouts?run=${id}&kind=improve&sort=id&dir=desc&limit=5`)).body,
    ) as RolloutsResponse;
    assert.deepEqual(
      improve.rows.map((x) => x.id),
      all
        .filter((x) => x.kind === "improve")
        .map((x) => x.id)
        .reverse()
        .slice(0, 5),
    );
    const bad = await get(`${open.url}api/rollouts?run=${id}&sort=reward;DROP TABLE rollouts`);
    assert.equal(bad.status, 400, "a sort key outside the list is refused");
    assert.match(bad.body, /sort/);
    const rollout = await get(`${open.url}api/rollout?run=${id}&id=9999`);
    assert.equal(rollout.status, 404);
  });

  it("tells running from stopped by the writer process, and done by the recorded stop", async () => {
    const dir = join(runs, "live");
    writeRun(dir, 3);
    const child = spawn("sleep", ["60"]);
    const store = RunStore.open(dir);
    try {
      store.setMeta("writer", JSON.stringify({ pid: child.pid, host: hostname(), since: new Date().toISOString() }));
      const status = async () => (JSON.parse((await get(`${open.url}api/run?run=${idOf(dir)}`)).body) as RunRow).status;
      assert.equal(await status(), "running");
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      assert.equal(await status(), "stopped", "a writer that died without a word is stopped");
      store.setMeta("stopped_by", "signal");
      assert.equal(await status(), "stopped");
      store.setMeta("stopped_by", "rollouts");
      assert.equal(await status(), "done");
      const executors = async () => (JSON.parse((await get(`${open.url}api/run?run=${idOf(dir)}`)).body) as RunRow).executors;
      assert.equal(await executors(), null, "a local pool records no executor status");
      store.setMeta("executor_status", "queue 3 waiting · w1 2/2 91%");
      assert.equal(await executors(), "queue 3 waiting · w1 2/2 91%", "a job queue's depth and workers, as the run recorded them");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      store.close();
    }
  });

  it("shows missing, corrupt and old run directories with a message", async () => {
    const corrupt = join(root, "corrupt");
    mkdirSync(corrupt, { recursive: true });
    writeFileSync(join(corrupt, "run.sqlite"), "garbage, not SQLite");
    const old = join(root, "old");
    cpSync(join(repoRoot(), "test", "fixtures", "runs-v1", "train-killed"), old, { recursive: true });
    const past = new Date(Date.now() - 3600_000);
    utimesSync(join(old, "run.sqlite"), past, past);
    const d = await startDashboard({
      dirs: [join(root, "missing"), corrupt, old],
      host: "127.0.0.1",
      port: 0,
      token: null,
      assets,
      lookup,
    });
    try {
      const body = JSON.parse((await get(`${d.url}api/runs`)).body) as RunsResponse;
      assert.match(body.missing[0]!.message, /no such directory/);
      const bad = body.runs.find((r) => r.dir === corrupt)!;
      assert.equal(bad.status, "unreadable");
      assert.match(bad.problems.join(" "), /cannot be opened/);
      const v1 = body.runs.find((r) => r.dir === old)!;
      assert.equal(v1.rollouts, 6, "an mlerl 0.1 run is read (its records migrated)");
      assert.equal(v1.running, 2, "killed after 4 of 6: two were running");
      assert.equal(v1.status, "stopped", "killed with kill -9: stopped");
      const rows = JSON.parse((await get(`${d.url}api/rollouts?run=${v1.id}`)).body) as RolloutsResponse;
      assert.equal(rows.total, 6);
    } finally {
      await d.close();
    }
  });

  it("requires the token on every request off loopback, and refuses to start there without one", async () => {
    await assert.rejects(startDashboard({ dirs: [runs], host: "0.0.0.0", port: 0, token: null, assets, lookup }), /needs a token/);
    const d = await openDashboard({ dirs: [runs], host: "0.0.0.0", port: 0, token: null, dataDir: join(root, "data") });
    try {
      assert.ok(d.token !== null && d.token.length >= 24, "a token is generated");
      const base = `http://127.0.0.1:${d.port}`;
      for (const path of ["/", "/app.js", "/api/runs", `/api/rollouts?run=${idOf(big)}`])
        assert.equal((await get(`${base}${path}`)).status, 401, `${path} without the token`);
      assert.equal((await get(`${base}/api/runs?token=wrong-${d.token}`)).status, 401);
      const first = await get(`${base}/?token=${d.token}`);
      assert.equal(first.status, 303, "the token leaves the address bar");
      assert.equal(first.headers.location, "/");
      const cookie = String(first.headers["set-cookie"]).split(";")[0]!;
      assert.match(String(first.headers["set-cookie"]), /HttpOnly; SameSite=Strict/);
      assert.equal((await get(`${base}/api/runs`, { Cookie: cookie })).status, 200, "the cookie carries it");
      assert.equal((await get(`${base}/`, { Cookie: cookie })).status, 200);
      assert.equal((await get(`${base}/api/runs`, { Cookie: `mlerl_dashboard_token=${d.token}x` })).status, 401);
      assert.equal((await get(`${base}/api/runs`, { Authorization: `Bearer ${d.token}` })).status, 200);
    } finally {
      await d.close();
    }
  });

  it("diffs programs line by line", () => {
    const d = lineDiff("a\nb\nc\n", "a\nB\nc\nd\n");
    assert.deepEqual(
      d.map((l) => `${l.op}:${l.text}`),
      ["same:a", "add:B", "del:b", "same:c", "add:d", "same:"],
    );
  });
});
