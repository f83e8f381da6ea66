/** The rollouts table: one page selected in SQL, then only that page's records parsed (with the store's schemas). */
import { reportScoreOf } from "../core/rollout.js";
import { ROLLOUT_OUTCOMES, ROLLOUT_SORTS, type RolloutPageQuery } from "../store/rollout-page.js";
import type { RunStore, StoredRollout } from "../store/run-store.js";
import type { RolloutRow, RolloutsResponse } from "./api.js";

export function outcomeOf(r: StoredRollout): string {
  if (r.status === "running") return "running";
  if (r.record === null) return "unreadable";
  return r.record.reward.validSubmission ? "valid" : r.record.reward.failureKind;
}

export function rolloutRow(r: StoredRollout): RolloutRow {
  return {
    id: r.id,
    taskId: r.taskId,
    kind: r.kind,
    parentId: r.parentId,
    policyVersion: r.policyVersion,
    status: r.status,
    outcome: outcomeOf(r),
    milestones: r.record?.reward.milestonesReached ?? [],
    reward: r.record?.reward.reward ?? null,
    score: r.record ? reportScoreOf(r.record) : null,
    dt: r.record?.reward.wallSec ?? null,
    worker: r.record?.execution.worker ?? null,
    step: r.record?.search?.step ?? null,
    problem: r.problem,
  };
}

export function rolloutsPage(store: RunStore, q: RolloutPageQuery): RolloutsResponse {
  const page = store.rolloutPage(q);
  const rows = page.ids.map((id) => store.rollout(id)).filter((r): r is StoredRollout => r !== undefined);
  const facets = store.rolloutFacets();
  return {
    rows: rows.map(rolloutRow),
    total: page.total,
    offset: q.offset,
    limit: q.limit,
    facets: { ...facets, outcomes: [...ROLLOUT_OUTCOMES], sorts: [...ROLLOUT_SORTS] },
  };
}
