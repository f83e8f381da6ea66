/**
 * The dashboard page: a hash router over a few views, each polling its endpoint every couple of seconds and drawn
 * again only when the answer changed, so a running job's rollouts and curves appear without a reload.
 */
import "./app.css";
import { clear, h, message } from "./dom.js";
import { runsView } from "./view-runs.js";
import { runView } from "./view-run.js";
import { rolloutsView } from "./view-rollouts.js";
import { rolloutView } from "./view-rollout.js";
import { treeView } from "./view-tree.js";
import { reportView } from "./view-report.js";

export interface Route {
  parts: string[];
  query: URLSearchParams;
}

/** A view: draws into its element; `refresh` is called again on every poll and redraws only what changed. */
export interface View {
  refresh(): Promise<void>;
}

const POLL_MS = 2000;

function parseRoute(): Route {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path = "/", q = ""] = hash.split("?");
  return {
    parts: path
      .split("/")
      .filter((p) => p.length > 0)
      .map(decodeURIComponent),
    query: new URLSearchParams(q),
  };
}

function viewFor(route: Route, root: HTMLElement): View {
  const [first, runId, sub, arg] = route.parts;
  if (first === "run" && runId) {
    if (sub === "rollouts") return rolloutsView(root, runId, route.query);
    if (sub === "rollout" && arg) return rolloutView(root, runId, Number(arg));
    if (sub === "tree") return treeView(root, runId);
    if (sub === "report") return reportView(root, runId);
    return runView(root, [runId], route.query);
  }
  if (first === "compare") return runView(root, (route.query.get("runs") ?? "").split(",").filter(Boolean), route.query);
  return runsView(root);
}

let generation = 0;

async function show(): Promise<void> {
  const mine = ++generation;
  const app = document.getElementById("app")!;
  clear(app);
  const header = h(
    "header",
    {},
    h("a", { href: "#/", class: "brand" }, "mlerl dashboard"),
    h("span", { class: "live", id: "live" }, "live"),
  );
  const root = h("div", { class: "view" });
  app.append(header, root);
  const view = viewFor(parseRoute(), root);
  const status = document.getElementById("live")!;
  const tick = async () => {
    if (mine !== generation) return;
    try {
      await view.refresh();
      status.textContent = `live · ${new Date().toLocaleTimeString()}`;
      status.className = "live";
    } catch (e) {
      status.textContent = "not reachable";
      status.className = "live down";
      if (root.childElementCount === 0) root.appendChild(message("error", e instanceof Error ? e.message : String(e)));
    }
    if (mine === generation) setTimeout(() => void tick(), POLL_MS);
  };
  await tick();
}

window.addEventListener("hashchange", () => void show());
void show();
