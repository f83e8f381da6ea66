/** The rollouts table: filters, sorting and paging done by the server in SQL; the state lives in the URL. */
import type { RolloutsResponse, RunRow } from "../api.js";
import { getJson } from "./client.js";
import { clear, fmt, fmtSec, h, link } from "./dom.js";
import type { View } from "./main.js";
import { runNav } from "./view-run.js";

const FILTERS = ["task", "kind", "outcome", "worker", "step"] as const;

function select(name: string, values: readonly string[], current: string, onChange: (v: string) => void): HTMLSelectElement {
  const s = h("select", { id: `f-${name}`, title: name });
  s.appendChild(h("option", { value: "" }, `any ${name}`));
  for (const v of values) s.appendChild(h("option", { value: v }, v));
  s.value = current;
  s.addEventListener("change", () => onChange(s.value));
  return s;
}

export function rolloutsView(root: HTMLElement, runId: string, query: URLSearchParams): View {
  let last = "";
  let row: RunRow | null = null;
  const state = new URLSearchParams(query);
  const head = h("div", {});
  const body = h("div", {});
  clear(root);
  root.append(head, body);
  drawHead();
  const go = (changes: Record<string, string>) => {
    for (const [k, v] of Object.entries(changes)) {
      if (v === "") state.delete(k);
      else state.set(k, v);
    }
    location.hash = `#/run/${runId}/rollouts?${state}`;
  };
  return {
    async refresh() {
      const params: Record<string, string> = {};
      for (const [k, v] of state) params[k] = v;
      // The table first: its page is one indexed query, while the run's summary reads every record of the run.
      const page = await getJson<RolloutsResponse>("/api/rollouts", { run: runId, ...params });
      const text = JSON.stringify(page);
      if (text !== last) {
        last = text;
        drawTable(page);
      }
      const fresh = await getJson<RunRow>("/api/run", { run: runId });
      if (JSON.stringify(fresh) !== JSON.stringify(row)) {
        row = fresh;
        drawHead();
      }
    },
  };

  function drawHead(): void {
    clear(head);
    head.append(runNav(runId, row, "rollouts"), h("h1", {}, row ? row.name : "run", ": rollouts"));
  }

  function drawTable(page: RolloutsResponse): void {
    clear(body);
    const f = page.facets;
    const values: Record<(typeof FILTERS)[number], string[]> = {
      task: f.tasks,
      kind: ["scratch", "improve"],
      outcome: f.outcomes,
      worker: f.workers,
      step: f.steps,
    };
    const bar = h("div", { class: "filters" });
    for (const name of FILTERS) bar.appendChild(select(name, values[name], state.get(name) ?? "", (v) => go({ [name]: v, offset: "" })));
    bar.appendChild(select("sort", f.sorts, state.get("sort") ?? "id", (v) => go({ sort: v, offset: "" })));
    bar.appendChild(select("dir", ["desc", "asc"], state.get("dir") ?? "desc", (v) => go({ dir: v, offset: "" })));
    body.appendChild(bar);
    const headers = [
      "id",
      "task",
      "kind",
      "version",
      "status",
      "outcome",
      "milestones",
      "reward",
      "score",
      "Δt",
      "worker",
      "step",
      "parent",
    ];
    const table = h("table", { class: "rollouts", id: "rollouts" }, h("thead", {}, h("tr", {}, ...headers.map((c) => h("th", {}, c)))));
    const tbody = h("tbody", {});
    for (const r of page.rows) {
      tbody.appendChild(
        h(
          "tr",
          { "data-id": String(r.id), class: `outcome-${r.outcome}` },
          h("td", {}, link(`#/run/${runId}/rollout/${r.id}`, `#${r.id}`)),
          h("td", {}, r.taskId),
          h("td", {}, r.kind),
          h("td", {}, String(r.policyVersion)),
          h("td", {}, r.status),
          h("td", {}, h("span", { class: `outcome outcome-${r.outcome}` }, r.outcome)),
          h("td", { title: r.milestones.join(", ") }, `${r.milestones.length}${r.milestones.length ? ` (${r.milestones.at(-1)})` : ""}`),
          h("td", {}, fmt(r.reward)),
          h("td", {}, fmt(r.score)),
          h("td", {}, fmtSec(r.dt)),
          h("td", {}, r.worker ?? "–"),
          h("td", {}, r.step ?? "–"),
          h("td", {}, r.parentId === null ? "–" : link(`#/run/${runId}/rollout/${r.parentId}`, `#${r.parentId}`)),
        ),
      );
    }
    table.appendChild(tbody);
    body.appendChild(table);
    const from = page.total === 0 ? 0 : page.offset + 1;
    const to = Math.min(page.total, page.offset + page.limit);
    const pager = h("p", { class: "pager" }, `${from}–${to} of ${page.total} `);
    if (page.offset > 0) {
      const prev = h("button", { id: "prev" }, "previous");
      prev.addEventListener("click", () => go({ offset: String(Math.max(0, page.offset - page.limit)) }));
      pager.appendChild(prev);
    }
    if (to < page.total) {
      const next = h("button", { id: "next" }, "next");
      next.addEventListener("click", () => go({ offset: String(page.offset + page.limit) }));
      pager.appendChild(next);
    }
    body.appendChild(pager);
  }
}
