/** A run's reports (their text and plots), its evaluation attempts (scratch or improve kept), its test-time executions. */
import type { ReportResponse, RunRow } from "../api.js";
import { getJson } from "./client.js";
import { clear, fmt, fmtSec, h, message } from "./dom.js";
import type { View } from "./main.js";
import { runNav } from "./view-run.js";

export function reportView(root: HTMLElement, runId: string): View {
  let last = "";
  return {
    async refresh() {
      const [row, data] = await Promise.all([
        getJson<RunRow>("/api/run", { run: runId }),
        getJson<ReportResponse>("/api/report", { run: runId }),
      ]);
      const text = JSON.stringify([row, data]);
      if (text === last) return;
      last = text;
      clear(root);
      root.append(runNav(runId, row, "report"), h("h1", {}, row.name, ": report and evaluation"));
      for (const n of data.notes) root.appendChild(message("note", n));
      root.appendChild(h("h2", {}, "Evaluation attempts"));
      if (data.evaluation.length === 0) root.appendChild(message("note", "No eval.json for this run (run `mlerl eval --run RUN_DIR`)."));
      for (const t of data.evaluation) {
        root.appendChild(
          h(
            "h3",
            {},
            `${t.taskId} (${t.metric}, ${t.lowerIsBetter ? "lower" : "higher"} is better): mean ${fmt(t.mean)} ± ${fmt(t.std)}, valid ${(t.validRate * 100).toFixed(0)}%`,
          ),
        );
        const table = h(
          "table",
          { class: "attempts" },
          h(
            "thead",
            {},
            h("tr", {}, ...["seed", "sample", "kept", "valid", "validation", "test score", "medal", "Δt"].map((c) => h("th", {}, c))),
          ),
        );
        const body = h("tbody", {});
        for (const a of t.attempts)
          body.appendChild(
            h(
              "tr",
              {},
              h("td", {}, String(a.seed)),
              h("td", {}, String(a.sample)),
              h(
                "td",
                { title: "the solution the test-time procedure kept, by the program's own validation metric" },
                a.selected ?? "nothing ran",
              ),
              h("td", {}, String(a.valid)),
              h("td", {}, fmt(a.validationMetric)),
              h("td", {}, fmt(a.testScore)),
              h("td", {}, a.medal ?? "–"),
              h("td", {}, fmtSec(a.wallSec)),
            ),
          );
        table.appendChild(body);
        root.appendChild(table);
      }
      if (data.testTime.length) {
        root.appendChild(h("h2", {}, "Test-time executions (scratch, then improve)"));
        root.appendChild(
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, ...["id", "task", "kind", "outcome", "validation", "test score"].map((c) => h("th", {}, c)))),
            h(
              "tbody",
              {},
              ...data.testTime.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", {}, String(r.id)),
                  h("td", {}, r.taskId),
                  h("td", {}, r.kind),
                  h("td", {}, r.outcome),
                  h("td", {}, fmt(r.validationMetric)),
                  h("td", {}, fmt(r.reportScore)),
                ),
              ),
            ),
          ),
        );
      }
      root.appendChild(h("h2", {}, "Reports"));
      if (data.reports.length === 0)
        root.appendChild(
          message(
            "note",
            "No report.md beside this run (write one with `mlerl report RUN_DIR --out DIR`, then open the dashboard on the folder holding both).",
          ),
        );
      for (const r of data.reports) {
        const sec = h("section", { class: "report" }, h("h3", {}, r.dir));
        for (const img of r.images) {
          const el = h("img", { class: "plot-img" });
          el.setAttribute("src", `/api/report-image?report=${encodeURIComponent(r.id)}&name=${encodeURIComponent(img)}`);
          el.setAttribute("alt", img);
          sec.appendChild(el);
        }
        sec.appendChild(h("pre", { class: "output" }, r.markdown));
        root.appendChild(sec);
      }
    },
  };
}
