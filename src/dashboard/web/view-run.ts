/**
 * A run (or several, to compare): live curves over rollouts or minutes (reward, valid share, mean Δt, executor
 * utilisation), per update (staleness, KL, clip fraction, duration weights), and the best score so far per task.
 */
import type { CurvesResponse, RunRow } from "../api.js";
import { chart, linesOf, type ChartLine } from "./charts.js";
import { getJson } from "./client.js";
import { clear, facts, fmt, h, link, message } from "./dom.js";
import type { View } from "./main.js";

export function runNav(runId: string, row: RunRow | null, here: string): HTMLElement {
  const items: [string, string][] = [
    ["curves", `#/run/${runId}`],
    ["rollouts", `#/run/${runId}/rollouts`],
    ...(row?.search ? ([["tree", `#/run/${runId}/tree`]] as [string, string][]) : []),
    ["report", `#/run/${runId}/report`],
  ];
  return h("nav", { class: "tabs" }, ...items.map(([name, href]) => h("a", { href, class: name === here ? "active" : "" }, name)));
}

export function runHeader(row: RunRow): HTMLElement {
  return h(
    "section",
    { class: "run-head" },
    h("h1", {}, row.name, " ", h("span", { class: `status status-${row.status}`, title: row.statusNote, id: "run-status" }, row.status)),
    facts([
      ["directory", row.dir],
      ["method", row.method],
      ["status", row.statusNote],
      ["tasks", row.tasks.join(", ") || "–"],
      ["rollouts", `${row.rollouts}${row.running ? ` (${row.running} running)` : ""}`],
      ["updates", String(row.updates)],
      ["executors", row.executors ?? "–"],
      ["minutes", row.minutes === null ? "–" : row.minutes.toFixed(1)],
      ["best (report split)", row.best.map((b) => `${b.taskId} ${fmt(b.best)}${b.medal ? ` ${b.medal}` : ""}`).join("; ") || "–"],
    ]),
    ...row.problems.map((p) => message("error", p)),
    ...row.notes.map((n) => message("note", n)),
  );
}

export function runView(root: HTMLElement, runIds: string[], query: URLSearchParams): View {
  let last = "";
  const axis = query.get("x") === "minutes" ? "minutes" : "rollouts";
  return {
    async refresh() {
      if (runIds.length === 0) {
        clear(root);
        root.appendChild(message("note", "Pick runs on the runs page to compare them."));
        return;
      }
      const [rows, curves] = await Promise.all([
        Promise.all(runIds.map((id) => getJson<RunRow>("/api/run", { run: id }))),
        getJson<CurvesResponse>("/api/curves", { runs: runIds.join(",") }),
      ]);
      const text = JSON.stringify([rows, curves]);
      if (text === last) return;
      last = text;
      clear(root);
      if (runIds.length === 1) root.append(runNav(runIds[0]!, rows[0]!, "curves"), runHeader(rows[0]!));
      else
        root.append(
          h("h1", {}, `Comparing ${rows.length} runs`),
          h("ul", {}, ...rows.map((r) => h("li", {}, link(`#/run/${r.id}`, r.name), ` (${r.method}, ${r.status})`))),
        );
      const base = runIds.length === 1 ? `#/run/${runIds[0]}` : `#/compare`;
      const keep = runIds.length === 1 ? "" : `runs=${runIds.join(",")}&`;
      root.appendChild(
        h(
          "p",
          { class: "axis" },
          "x axis: ",
          h("a", { href: `${base}?${keep}x=rollouts`, class: axis === "rollouts" ? "active" : "" }, "rollouts"),
          " · ",
          h("a", { href: `${base}?${keep}x=minutes`, class: axis === "minutes" ? "active" : "" }, "minutes"),
        ),
      );
      for (const n of curves.notes) root.appendChild(message("note", n));
      const by = axis === "minutes" ? "byMinute" : "byRollout";
      const xLabel = axis === "minutes" ? "minutes" : "rollouts";
      const grid = h("div", { class: "charts", id: "curves" });
      grid.append(
        chart({ title: "Reward (moving average)", xLabel, yLabel: "reward", lines: linesOf(curves.reward[by]) }),
        chart({ title: "Valid submissions (moving share)", xLabel, yLabel: "share", lines: linesOf(curves.valid[by]) }),
        chart({
          title: "Mean Δt of sampled programs",
          xLabel: axis === "minutes" ? "minutes" : "rollouts (sampling order)",
          yLabel: "seconds",
          lines: linesOf(curves.dt[by]),
        }),
        chart({ title: "Executor utilisation", xLabel: "minutes", yLabel: "busy share", lines: linesOf(curves.utilisation) }),
        chart({
          title: "Staleness per update",
          xLabel: "policy version",
          yLabel: "versions",
          points: true,
          lines: [
            ...linesOf(curves.updates.staleness, " mean"),
            ...linesOf(curves.updates.stalenessMax, " max").map((l) => ({ ...l, dash: true })),
          ],
        }),
        chart({
          title: "Sampler–learner KL per update",
          xLabel: "policy version",
          yLabel: "KL",
          points: true,
          lines: linesOf(curves.updates.kl),
        }),
        chart({
          title: "Clip fraction per update",
          xLabel: "policy version",
          yLabel: "fraction",
          points: true,
          lines: linesOf(curves.updates.clipFraction),
        }),
        chart({
          title: "Duration weights per update (min, mean, max)",
          xLabel: "policy version",
          yLabel: "weight",
          points: true,
          lines: [
            ...linesOf(curves.updates.weightMin, " min").map((l) => ({ ...l, dash: true })),
            ...linesOf(curves.updates.weightMean, " mean"),
            ...linesOf(curves.updates.weightMax, " max").map((l) => ({ ...l, dash: true })),
          ],
        }),
      );
      root.appendChild(grid);
      root.appendChild(h("h2", {}, "Best score so far (report split), per task"));
      const best = h("div", { class: "charts", id: "best-so-far" });
      if (curves.bestSoFar.length === 0) best.appendChild(message("note", "No valid submission with a score yet."));
      for (const t of curves.bestSoFar) {
        const lines: ChartLine[] = t.lines.map((l) => ({ name: l.name, points: l.points, width: l.mean ? 2.5 : 1 }));
        best.appendChild(
          chart({
            title: `${t.taskId} (${t.lowerIsBetter ? "lower" : "higher"} is better)`,
            xLabel: "minutes",
            yLabel: "score",
            stepped: true,
            lines,
          }),
        );
      }
      root.appendChild(best);
    },
  };
}
