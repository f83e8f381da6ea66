/**
 * How fast the dashboard shows a big run: synthetic run stores of 1,000 and 10,000 rollouts written with the real
 * RunStore API (rows the size of real ones: a ~10 KB program with sampled tokens, a full record), then, in
 * headless Chromium against a freshly started `mlerl dashboard` (its own process; nothing cached), the time from opening a run's page to its
 * first screen drawn (header, curves, best-so-far), and the same for its rollouts table. The target: under 1 s
 * for 10,000 rollouts. Each time is measured twice: as the driver sees it (from asking the browser to open the
 * URL until it has found the element, its own polling and round trips included), and in the page (from the
 * navigation's start to the frame after the element was put in, by a MutationObserver installed before the
 * page's own script runs). Prints the times side by side and their ratios.
 *
 * Usage: scripts/bench.sh dashboard-first-screen   (needs Chromium: bash scripts/setup.sh --tests installs it)
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { RolloutRecord } from "../src/core/rollout.js";
import { UpdateStats } from "../src/core/update.js";
import { idOf } from "../src/dashboard/catalog.js";
import { repoRoot } from "../src/paths.js";
import { RunStore } from "../src/store/run-store.js";

const CHROMIUM = process.env.MLERL_CHROMIUM ?? "/usr/bin/chromium";
const SIZES = [1_000, 10_000];
const TARGET_MS = 1000;
const TASKS = ["mini-leaf-classification", "mini-tabular-playground-series-may-2022"];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROGRAM = Array.from({ length: 170 }, (_, i) => `x_${i} = frame["col_${i % 30}"].fillna(0).astype(float)  # step ${i}`).join("\n");
const OUTPUT = Array.from({ length: 15 }, (_, i) => `fold ${i}: validation multiclass_log_loss ${(0.5 + i / 100).toFixed(5)}`).join("\n");

function record(next: () => number, taskId: string, wallSec: number): RolloutRecord {
  const valid = next() < 0.4;
  const score = valid ? 0.2 + next() : null;
  const milestones = ["imports", "data_loaded", "features_built", "model_defined", "model_trained"].slice(
    0,
    1 + Math.floor(next() * 5),
  ) as RolloutRecord["reward"]["milestonesReached"];
  const failureKind = valid ? "none" : next() < 0.7 ? "runtime_error" : "timeout";
  return {
    v: 2,
    execution: {
      exitCode: valid ? 0 : 1,
      signal: null,
      timedOut: failureKind === "timeout",
      killed: null,
      wallSec,
      cpuSec: wallSec * 0.9,
      peakMemoryMb: 120,
      summary: `exited ${valid ? 0 : 1} in ${wallSec.toFixed(1)} s`,
      notes: [],
      stdoutBytes: OUTPUT.length,
      stderrBytes: 0,
      worker: next() < 0.5 ? "bwrap" : "worker-2",
    },
    grade: {
      competition_id: taskId,
      score,
      gold_threshold: 0.1,
      silver_threshold: 0.2,
      bronze_threshold: 0.3,
      median_threshold: 0.6,
      any_medal: false,
      gold_medal: false,
      silver_medal: false,
      bronze_medal: false,
      above_median: false,
      submission_exists: valid,
      valid_submission: valid,
      is_lower_better: true,
      created_at: new Date(0).toISOString(),
      submission_path: "/tmp/x/submission.csv",
      error: valid ? null : "no submission file",
    },
    scores: { reward: score, report: score === null ? null : score + 0.01, all: score },
    instrumentation: {
      instrumenter: "ast",
      sites: 12,
      note: null,
      credited: milestones.map((m, i) => ({ milestone: m, kind: m, line: i + 1 })),
      rejected: 0,
      replayed: 0,
      tampering: null,
    },
    reward: {
      reward: valid ? 2 - score! : 0.1 * milestones.length,
      score,
      validSubmission: valid,
      milestonesReached: milestones,
      failureKind,
      validationMetric: score,
      wallSec,
    },
    feedback: {
      output: OUTPUT,
      failureKind,
      milestones: milestones.length,
      validationMetric: score,
      validSubmission: valid,
      summary: "exited",
    },
  };
}

/** A finished run of n rollouts over two tasks, updated every 32 rollouts, as training writes it. */
function writeSynthetic(dir: string, n: number): void {
  const next = rng(n);
  const store = RunStore.open(dir);
  try {
    store.setMeta("method", "rl");
    store.setMeta("elapsed_sec", String(n * 2));
    store.setMeta("executors", "8");
    store.setMeta("stopped_by", "rollouts");
    const pending: number[] = [];
    let version = 0;
    for (let i = 0; i < n; i++) {
      const taskId = TASKS[i % TASKS.length]!;
      // A ~10 KB program and a few hundred sampled tokens with their logprobs: a real row is 11-14 KB of action.
      const tokens = Array.from({ length: 300 }, () => Math.floor(next() * 3000));
      const payload = { promptTokens: tokens.slice(0, 300), tokens, logprobs: tokens.map(() => -next() * 3) };
      const id = store.startRollout({
        taskId,
        kind: i % 3 === 0 ? "improve" : "scratch",
        parentId: i % 3 === 0 && i > 0 ? i : null,
        action: { code: PROGRAM, policyVersion: version, payload },
        startedAt: i * 2,
      });
      const wallSec = 1 + next() * 20;
      store.finishRollout(id, record(next, taskId, wallSec), i * 2 + wallSec);
      pending.push(id);
      if (pending.length === 32) {
        version += 1;
        const weights = pending.map(() => 0.5 + next());
        store.recordUpdate({
          version,
          createdAt: i * 2 + wallSec,
          stats: UpdateStats.parse({
            version,
            n: 32,
            meanReward: 0.5,
            meanDt: 10,
            weights,
            advantages: weights.map(() => next() - 0.5),
            rolloutIds: pending.splice(0),
            loss: 0.1,
            kl: 0.01 * next(),
            stalenessMean: next(),
            stalenessMax: 2,
            extra: { clipFraction: next() * 0.2 },
          }),
          checkpoint: null,
        });
      }
    }
  } finally {
    store.close();
  }
}

/** `mlerl dashboard DIR` as a user starts it (its own process, the built dist/), until closed. */
async function serve(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(join(repoRoot(), "bin", "mlerl"), ["dashboard", dir, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /dashboard\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`mlerl dashboard exited (${code}) before printing its URL`)));
  });
  return {
    url,
    close: async () => {
      child.kill("SIGINT");
      if (child.exitCode === null) await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.error(`no Chromium at ${CHROMIUM}: bash scripts/setup.sh installs it (or set MLERL_CHROMIUM)`);
    process.exit(2);
  }
  const root = mkdtempSync(join(tmpdir(), "mlerl-bench-dashboard-"));
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  const results: { n: number; run: { driver: number; page: number }; table: { driver: number; page: number }; warm: number }[] = [];
  try {
    for (const n of SIZES) {
      const dir = join(root, `run-${n}`);
      const t0 = performance.now();
      writeSynthetic(dir, n);
      console.error(`[bench] wrote ${n} rollouts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const id = idOf(dir);
      const time = async (hash: string, selector: string): Promise<{ driver: number; page: number }> => {
        // A fresh server each time: nothing of the run is cached.
        const d = await serve(dir);
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.addInitScript((sel: string) => {
          const w = window as unknown as { firstScreenMs?: number };
          const seen = new MutationObserver(() => {
            if (!document.querySelector(sel)) return;
            seen.disconnect();
            // The frame after the one the element went into: it has been drawn.
            requestAnimationFrame(() => requestAnimationFrame(() => (w.firstScreenMs = performance.now())));
          });
          seen.observe(document, { subtree: true, childList: true });
        }, selector);
        try {
          const start = performance.now();
          await page.goto(`${d.url}${hash}`);
          await page.waitForSelector(selector, { timeout: 60_000 });
          const cold = performance.now() - start;
          const inPage = await page.waitForFunction(() => (window as unknown as { firstScreenMs?: number }).firstScreenMs, undefined, {
            timeout: 60_000,
          });
          const drawn = Number(await inPage.jsonValue());
          if (process.env.BENCH_DEBUG)
            console.error(
              hash,
              cold.toFixed(0),
              await page.evaluate(() =>
                JSON.stringify([
                  performance.now().toFixed(0),
                  ...performance
                    .getEntriesByType("resource")
                    .map((e) => `${e.name.replace(/^.*\//, "")} ${e.startTime.toFixed(0)}+${e.duration.toFixed(0)}`),
                ]),
              ),
            );
          return { driver: cold, page: drawn };
        } finally {
          await page.close();
          await d.close();
        }
      };
      // One untimed visit first, so the browser's own first start-up is not counted.
      await time(`#/run/${id}`, "#curves canvas");
      const run = await time(`#/run/${id}`, "#best-so-far canvas");
      const table = await time(`#/run/${id}/rollouts`, "#rollouts tbody tr[data-id]");
      // Warm: the same server, the run already read once (what a second visit or a poll costs).
      const d = await serve(dir);
      const page = await browser.newPage();
      await page.goto(`${d.url}#/run/${id}`);
      await page.waitForSelector("#best-so-far canvas");
      await page.goto("about:blank");
      const s = performance.now();
      await page.goto(`${d.url}#/run/${id}`);
      await page.waitForSelector("#best-so-far canvas");
      const warm = performance.now() - s;
      await page.close();
      await d.close();
      results.push({ n, run, table, warm });
    }
  } finally {
    await browser.close();
    if (!process.env.KEEP) rmSync(root, { recursive: true, force: true });
    else console.error(root);
  }
  const big = results.find((r) => r.n === 10_000)!;
  const small = results.find((r) => r.n === 1_000)!;
  const ms = (x: number, w: number) => `${x.toFixed(0).padStart(w)} ms`;
  console.log(
    "first screen, cold (fresh server)   run page: driver / in page    rollouts table: driver / in page    run page warm (driver)",
  );
  for (const r of results)
    console.log(
      `${String(r.n).padStart(8)} rollouts              ${ms(r.run.driver, 8)} / ${ms(r.run.page, 6)}    ${ms(r.table.driver, 14)} / ${ms(r.table.page, 6)}    ${ms(r.warm, 10)}`,
    );
  console.log(
    `ratio 10,000 / 1,000 rollouts (in page): run page ${(big.run.page / small.run.page).toFixed(2)}×, table ${(big.table.page / small.table.page).toFixed(2)}×`,
  );
  const over = (x: number) => (x < TARGET_MS ? "under" : "OVER");
  console.log(
    `10,000 rollouts, first screen / 1 s target: run page ${(big.run.driver / TARGET_MS).toFixed(2)} driver (${over(big.run.driver)}), ${(big.run.page / TARGET_MS).toFixed(2)} in page (${over(big.run.page)}); table ${(big.table.driver / TARGET_MS).toFixed(2)} / ${(big.table.page / TARGET_MS).toFixed(2)}`,
  );
}

await main();
