/** Every run found: method, tasks, status, size, best report-split score and medal per task; pick runs to compare. */
import type { RunRow, RunsResponse } from "../api.js";
import { getJson } from "./client.js";
import { clear, fmt, h, link, message } from "./dom.js";
import type { View } from "./main.js";

function bestCell(r: RunRow): HTMLElement {
  const cell = h("td", { class: "best" });
  for (const b of r.best) {
    cell.appendChild(
      h("div", {}, `${b.taskId}: `, h("b", {}, fmt(b.best)), b.medal ? h("span", { class: `medal medal-${b.medal}` }, b.medal) : null),
    );
  }
  if (r.best.length === 0) cell.appendChild(document.createTextNode("–"));
  return cell;
}

export function runsView(root: HTMLElement): View {
  let last = "";
  const selected = new Set<string>();
  return {
    async refresh() {
      const data = await getJson<RunsResponse>("/api/runs");
      const text = JSON.stringify(data);
      if (text === last) return;
      last = text;
      clear(root);
      root.appendChild(h("h1", {}, "Runs"));
      for (const m of data.missing) root.appendChild(message("error", m.message));
      if (data.runs.length === 0) root.appendChild(message("note", "No runs found yet."));
      const compare = h("a", { href: "#/", class: "button", id: "compare" }, "compare selected");
      const updateCompare = () => compare.setAttribute("href", selected.size ? `#/compare?runs=${[...selected].join(",")}` : "#/");
      const table = h(
        "table",
        { class: "runs", id: "runs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["", "run", "method", "status", "tasks", "rollouts", "updates", "minutes", "best (report split)", ""].map((c) =>
              h("th", {}, c),
            ),
          ),
        ),
      );
      const body = h("tbody", {});
      for (const r of data.runs) {
        const box = h("input", { type: "checkbox", "data-id": r.id });
        box.checked = selected.has(r.id);
        box.addEventListener("change", () => {
          if (box.checked) selected.add(r.id);
          else selected.delete(r.id);
          updateCompare();
        });
        const row = h(
          "tr",
          { "data-id": r.id },
          h("td", {}, box),
          h("td", { title: r.dir }, link(`#/run/${r.id}`, r.name), r.label ? h("div", { class: "sub" }, r.label) : null),
          h("td", {}, r.method),
          h(
            "td",
            {},
            h("span", { class: `status status-${r.status}`, title: r.statusNote }, r.status),
            h("div", { class: "sub" }, r.statusNote),
          ),
          h("td", {}, r.tasks.join(", ") || "–"),
          h("td", {}, String(r.rollouts), r.running ? h("div", { class: "sub" }, `${r.running} running`) : null),
          h("td", {}, String(r.updates)),
          h("td", {}, r.minutes === null ? "–" : r.minutes.toFixed(1)),
          bestCell(r),
          h(
            "td",
            { class: "links" },
            link(`#/run/${r.id}/rollouts`, "rollouts"),
            r.search ? link(`#/run/${r.id}/tree`, "tree") : null,
            link(`#/run/${r.id}/report`, "report"),
          ),
        );
        body.appendChild(row);
        for (const p of r.problems)
          body.appendChild(h("tr", { class: "problem" }, h("td", {}), h("td", { colspan: 9 }, message("error", p))));
      }
      table.appendChild(body);
      root.append(table, h("p", {}, compare));
      updateCompare();
    },
  };
}
