/** A search baseline's trees (AIDE-style: draft, debug, improve; random search: roots only), one per task and seed. */
import { reportScoreOf } from "../core/rollout.js";
import type { RunStore } from "../store/run-store.js";
import type { TreesResponse } from "./api.js";
import { outcomeOf } from "./rollouts-view.js";

export function searchTrees(store: RunStore): TreesResponse {
  const trees = new Map<string, TreesResponse["trees"][number]>();
  for (const r of store.rollouts()) {
    const search = r.record?.search;
    if (search === undefined) continue;
    const key = `${r.taskId}\u0000${search.seed}`;
    let tree = trees.get(key);
    if (!tree) {
      tree = { taskId: r.taskId, seed: search.seed, nodes: [] };
      trees.set(key, tree);
    }
    tree.nodes.push({
      rolloutId: r.id,
      node: search.node,
      parentId: r.parentId,
      step: search.step,
      outcome: outcomeOf(r),
      validationMetric: r.record?.reward.validationMetric ?? null,
      reportScore: r.record ? reportScoreOf(r.record) : null,
      dt: r.record?.reward.wallSec ?? null,
    });
  }
  return { trees: [...trees.values()].sort((a, b) => a.taskId.localeCompare(b.taskId) || a.seed - b.seed) };
}
