/**
 * Vega-Lite specs of the report's plots (pure: data in, spec out). Sizes aim at ~900 px wide PNGs; every plot
 * has a title, axis titles with units, and a legend naming the methods.
 */
import type { TopLevelSpec } from "vega-lite";
import type { TaskInfo } from "./groups.js";
import type { BestPoint, ShareRow, TrainingPoint } from "./series.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** The font render.ts loads (system copy or the one shipped in node_modules): named so text never falls back to boxes. */
export const REPORT_FONT = "DejaVu Sans";

const CONFIG = {
  font: REPORT_FONT,
  background: "white",
  padding: 12,
  title: { fontSize: 17, subtitleFontSize: 12, subtitleColor: "#555", anchor: "start" as const, offset: 10 },
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal" as const },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 260 },
  header: { labelFontSize: 13, labelFontWeight: "bold" as const, labelLimit: 440 },
  view: { stroke: "#ddd" },
};

function directionText(lowerIsBetter: boolean | null): string {
  return lowerIsBetter === null ? "(↑ assumed)" : lowerIsBetter ? "↓" : "↑";
}

/** "task|metric ↑": the two lines of a task panel's header ("|" separates them, see bestSoFarChart). */
export function taskHeader(task: TaskInfo): string {
  return `${task.taskId}|${task.metric ?? "score"} ${directionText(task.lowerIsBetter)}`;
}

/** Seconds read better than fractions of a minute for short runs. */
function timeUnit(points: readonly BestPoint[]): { field: "minutes" | "seconds"; title: string; scale: number } {
  const maxMin = Math.max(0, ...points.map((p) => p.minutes));
  return maxMin < 2
    ? { field: "seconds", title: "wall-clock time since run start (s)", scale: 60 }
    : { field: "minutes", title: "wall-clock time since run start (min)", scale: 1 };
}

/** True when some method has more than one run: then single runs are drawn thin and the method's mean thick. */
function hasSeeds(points: readonly { method: string; run: string }[]): boolean {
  const runs = new Map<string, Set<string>>();
  for (const p of points) runs.set(p.method, (runs.get(p.method) ?? new Set()).add(p.run));
  return [...runs.values()].some((r) => r.size > 1);
}

const THIN = { opacity: 0.35, strokeWidth: 1.3 };

/**
 * Lines per run, coloured by method; with seeds, thin per-run lines under a thick line of the method's mean
 * (`meanField` marks the rows to draw thick: precomputed means and methods' only runs; otherwise vega averages
 * the runs at each x).
 */
function runLines(opts: {
  x: Record<string, unknown>;
  y: Record<string, unknown>;
  methods: readonly string[];
  seeds: boolean;
  mark: Record<string, unknown>;
  meanField?: string;
}): Record<string, unknown> {
  // The legend shows the thick style whatever layer it comes from.
  const color = {
    field: "method",
    type: "nominal",
    title: "method",
    sort: [...opts.methods],
    legend: { symbolOpacity: 1, symbolStrokeWidth: 3, symbolType: "stroke" },
  };
  const single = {
    mark: { ...opts.mark, strokeWidth: 2 },
    encoding: { x: opts.x, y: opts.y, color, detail: { field: "run", type: "nominal" } },
  };
  if (!opts.seeds) return single;
  const thin = {
    mark: { ...opts.mark, ...THIN, point: false },
    encoding: single.encoding,
    ...(opts.meanField ? { transform: [{ filter: `!datum.${opts.meanField}` }] } : {}),
  };
  const thick = opts.meanField
    ? {
        transform: [{ filter: `datum.${opts.meanField}` }],
        mark: { ...opts.mark, strokeWidth: 3.2, point: false },
        encoding: { x: opts.x, y: opts.y, color, detail: { field: "run", type: "nominal" } },
      }
    : { mark: { ...opts.mark, strokeWidth: 3.2, point: false }, encoding: { x: opts.x, y: { ...opts.y, aggregate: "mean" }, color } };
  return { layer: [thin, thick] };
}

function lineNote(seeds: boolean): string {
  return seeds ? "thin lines: single runs; thick lines: the mean over a method's runs" : "one line per run, coloured by method";
}

/** The paper's Figure 7: per task, the best test score reached so far against wall-clock time. */
export function bestSoFarChart(points: readonly BestPoint[], tasks: readonly TaskInfo[], methods: readonly string[]): TopLevelSpec {
  const unit = timeUnit(points);
  const header = new Map(tasks.map((t) => [t.taskId, taskHeader(t)]));
  const values = points.map((p) => ({ ...p, seconds: p.minutes * 60, panel: header.get(p.task) ?? p.task }));
  const panels = new Set(values.map((v) => v.panel)).size;
  const columns = panels > 1 ? 2 : 1;
  const width = columns === 1 ? 720 : 350;
  const seeds = points.some((p) => !p.mean);
  const note = seeds
    ? "thin lines: single runs; thick: a method's mean over its runs, where every run has a valid program"
    : lineNote(false);
  return {
    $schema: SCHEMA,
    title: {
      text: "Best test score so far against wall-clock time",
      subtitle: ["hidden test score of the best valid program finished so far", note],
    },
    config: CONFIG,
    data: { values },
    facet: {
      field: "panel",
      type: "nominal",
      title: null,
      sort: [...header.values()],
      header: { labelExpr: "split(datum.label, '|')", labelLimit: 1000 },
    },
    columns,
    // Flush bounds: vega over-estimates the headers' text width, which would push the columns far apart.
    bounds: "flush",
    spacing: { column: 105, row: 95 },
    spec: {
      width,
      height: 220,
      ...runLines({
        x: { field: unit.field, type: "quantitative", title: unit.title },
        y: { field: "best", type: "quantitative", title: "best test score so far", scale: { zero: false } },
        methods,
        seeds,
        mark: { type: "line", interpolate: "step-after", point: { size: 30 } },
        meanField: "mean",
      }),
    },
    resolve: { scale: { x: "independent", y: "independent" } },
  } as TopLevelSpec;
}

/** Reward and valid-submission share over training: trailing moving averages over finished rollouts. */
export function rewardChart(reward: readonly TrainingPoint[], valid: readonly TrainingPoint[], methods: readonly string[]): TopLevelSpec {
  const seeds = hasSeeds(reward);
  const panel = (values: readonly TrainingPoint[], title: string, y: Record<string, unknown>) => ({
    width: 760,
    height: 210,
    title: { text: title, fontSize: 14, anchor: "start" },
    data: { values },
    ...runLines({
      x: { field: "rollout", type: "quantitative", title: "rollouts finished" },
      y: { field: "value", type: "quantitative", ...y },
      methods,
      seeds,
      mark: { type: "line" },
    }),
  });
  return {
    $schema: SCHEMA,
    title: {
      text: "Reward and valid submissions over training",
      subtitle: ["trailing moving average over about 1/20 of a run's rollouts", lineNote(seeds)],
    },
    config: CONFIG,
    vconcat: [
      panel(reward, "reward (moving average)", { title: "reward", scale: { zero: false } }),
      panel(valid, "valid-submission share (moving average)", {
        title: "share of valid submissions",
        axis: { format: "%" },
        scale: { domain: [0, 1] },
      }),
    ],
  } as TopLevelSpec;
}

/** Mean Δt of sampled programs over training, log scale (execution times are heavy-tailed). */
export function durationChart(points: readonly TrainingPoint[], methods: readonly string[]): TopLevelSpec {
  const seeds = hasSeeds(points);
  return {
    $schema: SCHEMA,
    title: {
      text: "Execution time of sampled programs over training",
      subtitle: ["mean Δt per window of about 1/20 of a run's rollouts, in sampling order", lineNote(seeds)],
    },
    config: CONFIG,
    width: 760,
    height: 280,
    data: { values: [...points] },
    ...runLines({
      x: { field: "rollout", type: "quantitative", title: "rollouts sampled" },
      y: { field: "value", type: "quantitative", title: "mean Δt (seconds, log scale)", scale: { type: "log" } },
      methods,
      seeds,
      mark: { type: "line", point: { size: 30 } },
    }),
  } as TopLevelSpec;
}

/** Fixed colours, so "valid submission" is green and each failure kind keeps its colour across reports. */
const OUTCOME_COLORS: readonly (readonly [string, string])[] = [
  ["valid submission", "#2ca02c"],
  ["invalid_submission", "#e6b800"],
  ["no_submission", "#ff7f0e"],
  ["timeout", "#9467bd"],
  ["killed", "#8c564b"],
  ["runtime_error", "#d62728"],
  ["syntax", "#7f7f7f"],
];

/** How programs ended (outcome) and, for failed ones, the furthest milestone reached: 100% stacked bars per method. */
export function outcomeChart(
  outcomes: readonly ShareRow[],
  stages: readonly ShareRow[],
  methods: readonly string[],
  stageOrder: readonly string[],
): TopLevelSpec {
  const rows = Math.max(1, new Set(outcomes.map((o) => o.method)).size);
  const known = OUTCOME_COLORS.map(([c]) => c);
  const extra = [...new Set(outcomes.map((o) => o.category))].filter((c) => !known.includes(c)).sort();
  const outcomeOrder = [...known.filter((c) => outcomes.some((o) => o.category === c)), ...extra];
  const outcomeRange = outcomeOrder.map((c) => OUTCOME_COLORS.find(([k]) => k === c)?.[1] ?? "#17becf");
  const bar = (
    values: readonly ShareRow[],
    title: string,
    xTitle: string,
    legend: string,
    order: readonly string[],
    scale: Record<string, unknown>,
  ) => ({
    width: 600,
    height: Math.max(60, 34 * rows),
    title: { text: title, fontSize: 14, anchor: "start" },
    // Stack segments in the legend's order (a stage order, or outcomes from valid to worst).
    data: { values: values.map((v) => ({ ...v, rank: order.indexOf(v.category) })) },
    mark: { type: "bar", tooltip: true },
    encoding: {
      y: { field: "method", type: "nominal", title: "method", sort: [...methods] },
      x: { field: "share", type: "quantitative", title: xTitle, stack: "normalize", axis: { format: "%" } },
      color: { field: "category", type: "nominal", title: legend, sort: [...order], scale },
      order: { field: "rank", type: "quantitative" },
    },
  });
  const parts = [
    bar(outcomes, "How programs ended", "share of finished programs", "outcome", outcomeOrder, {
      domain: outcomeOrder,
      range: outcomeRange,
    }),
  ];
  if (stages.length > 0) {
    const present = stageOrder.filter((s) => stages.some((x) => x.category === s));
    parts.push(
      bar(stages, "Failed programs: furthest milestone reached", "share of failed programs", "stage", present, {
        domain: present,
        scheme: "viridis",
      }),
    );
  }
  return {
    $schema: SCHEMA,
    title: {
      text: "Outcomes and failure stages",
      subtitle: "all finished rollouts of each method's runs; milestones come from instrumentation markers",
    },
    config: CONFIG,
    vconcat: parts,
    resolve: { scale: { color: "independent" } },
  } as TopLevelSpec;
}
