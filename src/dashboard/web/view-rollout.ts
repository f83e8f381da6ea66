/**
 * One rollout: facts, reward breakdown, grade, the program (highlighted, with the instrumenter's sites between its
 * lines), stdout and stderr (credited markers where they were, rejected marker lines flagged, control characters
 * shown as symbols so no terminal escape acts), its prompt, and for an improve rollout the diff to its parent.
 */
import type { DiffLine, OutputMark, RolloutResponse, RunRow, SiteView, TextFile } from "../api.js";
import { getJson } from "./client.js";
import { clear, facts, fmt, fmtSec, h, link, message } from "./dom.js";
import { highlightPython } from "./highlight.js";
import type { View } from "./main.js";
import { runNav } from "./view-run.js";

/** Control characters as their visible pictures (␛ for ESC ...), keeping newlines and tabs. */
export function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) =>
    c === "\u007f" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0)),
  );
}

function programBlock(code: string, sites: readonly SiteView[]): HTMLElement {
  const pre = h("pre", { class: "code", id: "program" });
  const lines = highlightPython(visible(code));
  const siteRow = (s: SiteView) =>
    h("div", { class: "site" }, h("span", { class: "ln" }, "+"), `▸ site: ${s.kind}${s.value ? ` (${s.value})` : ""}`);
  for (const s of sites.filter((x) => x.after === 0)) pre.appendChild(siteRow(s));
  lines.forEach((runs, i) => {
    const line = h("div", { class: "line" }, h("span", { class: "ln" }, String(i + 1)));
    for (const r of runs) line.appendChild(r.cls ? h("span", { class: r.cls }, r.text) : document.createTextNode(r.text));
    pre.appendChild(line);
    for (const s of sites.filter((x) => x.after === i + 1)) pre.appendChild(siteRow(s));
  });
  return pre;
}

function outputBlock(id: string, file: TextFile, marks: readonly OutputMark[]): HTMLElement {
  const box = h("div", { class: "output-box" });
  if (file.missing) {
    box.appendChild(message("note", "no file"));
    return box;
  }
  const pre = h("pre", { class: "output", id });
  const lines = file.text.split("\n");
  lines.forEach((text, i) => {
    for (const m of marks.filter((x) => x.line === i + 1 && x.kind === "credited"))
      pre.appendChild(h("div", { class: "mark credited" }, `✓ ${m.label}`));
    const rejected = marks.some((x) => x.line === i + 1 && x.kind === "rejected");
    pre.appendChild(
      h(
        "div",
        { class: rejected ? "line rejected" : "line" },
        h("span", { class: "ln" }, String(i + 1)),
        visible(text),
        rejected ? h("span", { class: "tag" }, " ✗ rejected marker") : null,
      ),
    );
  });
  for (const m of marks.filter((x) => x.line > lines.length && x.kind === "credited"))
    pre.appendChild(h("div", { class: "mark credited" }, `✓ ${m.label}`));
  box.appendChild(pre);
  if (file.truncated) box.appendChild(message("note", `showing the first ${file.text.length} characters of ${file.bytes} bytes`));
  return box;
}

/** Lines further than this from a change are folded into one "unchanged" line. */
const CONTEXT = 3;

function diffBlock(lines: readonly DiffLine[]): HTMLElement {
  const pre = h("pre", { class: "diff", id: "diff" });
  const near = lines.map(() => false);
  lines.forEach((d, i) => {
    if (d.op === "same") return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(lines.length - 1, i + CONTEXT); k++) near[k] = true;
  });
  let folded = 0;
  const flush = () => {
    if (folded > 0)
      pre.appendChild(h("div", { class: "d-fold" }, h("span", { class: "ln" }, "⋯"), `${folded} unchanged line${folded === 1 ? "" : "s"}`));
    folded = 0;
  };
  lines.forEach((d, i) => {
    if (!near[i]) {
      folded++;
      return;
    }
    flush();
    const sign = d.op === "add" ? "+" : d.op === "del" ? "-" : " ";
    pre.appendChild(
      h(
        "div",
        { class: `d-${d.op}` },
        h("span", { class: "ln" }, `${d.a ?? ""}`),
        h("span", { class: "ln" }, `${d.b ?? ""}`),
        `${sign} `,
        visible(d.text),
      ),
    );
  });
  flush();
  if (!lines.some((d) => d.op !== "same")) pre.appendChild(h("div", { class: "d-fold" }, "the program is the same as its parent's"));
  return pre;
}

function section(title: string, ...body: (Node | null)[]): HTMLElement {
  return h("section", {}, h("h2", {}, title), ...body);
}

export function rolloutView(root: HTMLElement, runId: string, id: number): View {
  let last = "";
  return {
    async refresh() {
      const [row, r] = await Promise.all([
        getJson<RunRow>("/api/run", { run: runId }),
        getJson<RolloutResponse>("/api/rollout", { run: runId, id }),
      ]);
      const text = JSON.stringify([row.status, r]);
      if (text === last) return;
      last = text;
      clear(root);
      const rec = r.record;
      root.append(
        runNav(runId, row, ""),
        h(
          "h1",
          {},
          `Rollout #${r.id}`,
          " ",
          h(
            "span",
            { class: `outcome outcome-${rec ? (rec.reward.validSubmission ? "valid" : rec.reward.failureKind) : r.status}` },
            rec ? (rec.reward.validSubmission ? "valid" : rec.reward.failureKind) : r.status,
          ),
        ),
      );
      if (r.problem) root.appendChild(message("error", r.problem));
      // The rollout's facts, reward breakdown and execution side by side, so the program is on the first screen.
      const summary = h("div", { class: "summary" });
      root.appendChild(summary);
      summary.appendChild(
        section(
          "Rollout",
          facts([
            ["task", r.taskId],
            ["prompt kind", r.kind],
            ["policy version", String(r.policyVersion)],
            ["status", r.status],
            ["parent", r.parentId === null ? "–" : link(`#/run/${runId}/rollout/${r.parentId}`, `#${r.parentId}`)],
            [
              "children",
              r.childIds.length
                ? h("span", { id: "children" }, ...r.childIds.flatMap((c) => [link(`#/run/${runId}/rollout/${c}`, `#${c}`), " "]))
                : "–",
            ],
            ["Δt", fmtSec(rec?.reward.wallSec)],
            ["duration weight", r.update ? fmt(r.update.weight) : "not trained yet"],
            ["advantage", r.update ? fmt(r.update.advantage) : "–"],
            ["trained in update", r.update ? String(r.update.version) : "–"],
            ["worker", rec?.execution.worker ?? "–"],
            ["search step", rec?.search ? `${rec.search.step} (seed ${rec.search.seed}, node ${rec.search.node ?? "–"})` : "–"],
          ]),
        ),
      );
      if (rec) {
        const b = rec.reward;
        summary.append(
          section(
            "Reward breakdown",
            h(
              "table",
              { class: "kv", id: "reward-breakdown" },
              ...(
                [
                  ["reward", fmt(b.reward, 6)],
                  ["failure kind", b.failureKind],
                  ["valid submission", String(b.validSubmission)],
                  ["score (reward split, as graded)", fmt(b.score, 6)],
                  ["report-split score", fmt(r.reportScore, 6)],
                  ["validation metric (printed)", fmt(b.validationMetric, 6)],
                  ["milestones reached", b.milestonesReached.join(", ") || "none"],
                  ["Δt", fmtSec(b.wallSec)],
                  ["tampering", rec.instrumentation.tampering?.join("; ") ?? "none"],
                ] as [string, string][]
              ).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", { "data-key": k }, v))),
            ),
          ),
          section(
            "Execution and grade",
            facts([
              ["summary", rec.execution.summary],
              ["exit code", rec.execution.exitCode === null ? "–" : String(rec.execution.exitCode)],
              ["signal", rec.execution.signal ?? "–"],
              ["killed", rec.execution.killed ?? "–"],
              ["cpu", fmtSec(rec.execution.cpuSec)],
              ["peak memory", rec.execution.peakMemoryMb === null ? "–" : `${rec.execution.peakMemoryMb.toFixed(0)} MB`],
              ["notes", rec.execution.notes.join("; ") || "–"],
              [
                "instrumenter",
                `${rec.instrumentation.instrumenter ?? "off"}, ${rec.instrumentation.sites} sites, ${rec.instrumentation.rejected} rejected, ${rec.instrumentation.replayed} replayed${rec.instrumentation.note ? `; ${rec.instrumentation.note}` : ""}`,
              ],
              [
                "scores by split",
                rec.scores ? `reward ${fmt(rec.scores.reward)}, report ${fmt(rec.scores.report)}, all ${fmt(rec.scores.all)}` : "–",
              ],
              [
                "grade",
                rec.grade ? `${rec.grade.valid_submission ? "valid" : "invalid"}${rec.grade.error ? `: ${rec.grade.error}` : ""}` : "–",
              ],
            ]),
          ),
        );
      }
      if (r.prompt !== null) root.appendChild(section("Prompt", h("pre", { class: "output", id: "prompt" }, visible(r.prompt))));
      root.appendChild(
        section("Program", h("p", { class: "sub" }, `instrumenter sites: ${r.sites.source}`), programBlock(r.program.text, r.sites.placed)),
      );
      if (r.parent) {
        const diff = diffBlock(r.parent.diff);
        root.appendChild(
          section("Diff to the parent", h("p", {}, "parent ", link(`#/run/${runId}/rollout/${r.parent.id}`, `#${r.parent.id}`)), diff),
        );
      }
      root.appendChild(section("stdout", outputBlock("stdout", r.stdout, r.marks)));
      root.appendChild(section("stderr", outputBlock("stderr", r.stderr, [])));
      if (rec)
        root.appendChild(section("Record (as stored)", h("pre", { class: "output", id: "record" }, visible(JSON.stringify(rec, null, 2)))));
    },
  };
}
