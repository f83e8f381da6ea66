/** A run's reports (report.md and its plots, as text and images), its evaluation attempts and its test-time executions. */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { reportScoreOf } from "../core/rollout.js";
import type { ReportResponse } from "./api.js";
import type { CatalogEntry } from "./catalog.js";
import type { RunData } from "./run-cache.js";
import { readShown } from "./rollout-view.js";

/** Plot files a report folder may serve: plain names ending in .png, nothing else. */
export function reportImages(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && /^[A-Za-z0-9._-]+\.png$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

export function reportView(data: RunData, reports: readonly CatalogEntry[]): ReportResponse {
  const run = data.loaded;
  const testTime = (run?.rollouts ?? [])
    .filter((r) => r.phase === "test-time")
    .map((r) => ({
      id: r.id,
      taskId: r.taskId,
      kind: r.kind,
      outcome: r.record === null ? "running" : r.record.reward.validSubmission ? "valid" : r.record.reward.failureKind,
      validationMetric: r.record?.reward.validationMetric ?? null,
      reportScore: r.record ? reportScoreOf(r.record) : null,
    }));
  return {
    reports: reports.map((r) => {
      const md = readShown(join(r.dir, "report.md"));
      return { dir: r.dir, id: r.id, markdown: md.text, images: reportImages(r.dir) };
    }),
    evaluation: (run?.evaluation?.tasks ?? []).map((t) => ({
      taskId: t.taskId,
      metric: t.metric,
      lowerIsBetter: t.lowerIsBetter,
      mean: t.mean,
      std: t.std,
      validRate: t.validRate,
      attempts: t.attempts,
    })),
    testTime,
    notes: run?.notes ?? [],
  };
}
