/** A search baseline as trees, one per task and seed: drafts at the roots, debug and improve steps below their parent. */
import type { RunRow, TreeNode, TreesResponse } from "../api.js";
import { getJson } from "./client.js";
import { clear, fmt, fmtSec, h, link, message } from "./dom.js";
import type { View } from "./main.js";
import { runNav } from "./view-run.js";

function nodeItem(runId: string, n: TreeNode, children: Map<number, TreeNode[]>): HTMLElement {
  const li = h(
    "li",
    { "data-id": String(n.rolloutId) },
    h(
      "a",
      { href: `#/run/${runId}/rollout/${n.rolloutId}`, class: `node outcome-${n.outcome}`, title: `rollout #${n.rolloutId}` },
      `${n.step} #${n.node ?? "–"}`,
    ),
    ` ${n.outcome}, validation ${fmt(n.validationMetric)}, test ${fmt(n.reportScore)}, ${fmtSec(n.dt)}`,
  );
  const kids = children.get(n.rolloutId) ?? [];
  if (kids.length) li.appendChild(h("ul", {}, ...kids.map((k) => nodeItem(runId, k, children))));
  return li;
}

export function treeView(root: HTMLElement, runId: string): View {
  let last = "";
  return {
    async refresh() {
      const [row, data] = await Promise.all([
        getJson<RunRow>("/api/run", { run: runId }),
        getJson<TreesResponse>("/api/trees", { run: runId }),
      ]);
      const text = JSON.stringify([row, data]);
      if (text === last) return;
      last = text;
      clear(root);
      root.append(runNav(runId, row, "tree"), h("h1", {}, row.name, ": search trees"));
      root.appendChild(
        h(
          "p",
          { class: "legend" },
          "colour by outcome: ",
          ...["valid", "runtime_error", "timeout", "no_submission", "invalid_submission", "syntax", "running"].map((o) =>
            h("span", { class: `node outcome-${o}` }, o),
          ),
        ),
      );
      if (data.trees.length === 0) root.appendChild(message("note", "This run has no search steps (it is not a baseline search)."));
      for (const t of data.trees) {
        const ids = new Set(t.nodes.map((n) => n.rolloutId));
        const children = new Map<number, TreeNode[]>();
        const roots: TreeNode[] = [];
        for (const n of t.nodes) {
          if (n.parentId !== null && ids.has(n.parentId)) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n]);
          else roots.push(n);
        }
        root.appendChild(
          h(
            "section",
            { class: "tree" },
            h("h2", {}, `${t.taskId}, seed ${t.seed} (${t.nodes.length} nodes)`),
            h("ul", { class: "tree-root" }, ...roots.map((n) => nodeItem(runId, n, children))),
          ),
        );
      }
    },
  };
}
