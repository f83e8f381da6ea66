/**
 * Line charts with uPlot: several lines with their own x values are joined onto one x axis (gaps where a line
 * has no point). A chart is drawn again only when its data changed; names in legends are set as text by uPlot.
 */
import uPlot from "uplot";
import type { SeriesSet, XY } from "../api.js";
import { h } from "./dom.js";

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

export interface ChartLine {
  name: string;
  points: XY;
  dash?: boolean;
  width?: number;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  lines: ChartLine[];
  stepped?: boolean;
  /** Draw points only (per-update values with few updates read better as dots joined by lines). */
  points?: boolean;
}

export function linesOf(sets: readonly SeriesSet[], suffix = ""): ChartLine[] {
  return sets.filter((s) => s.points.x.length > 0).map((s) => ({ name: `${s.name}${suffix}`, points: s.points }));
}

/** A chart in a figure element; returns the figure (with a note instead of a chart when there is nothing to draw). */
export function chart(spec: ChartSpec, width = 520, height = 220): HTMLElement {
  const fig = h("figure", { class: "chart" }, h("figcaption", {}, spec.title));
  const lines = spec.lines.filter((l) => l.points.x.length > 0);
  if (lines.length === 0) {
    fig.appendChild(h("p", { class: "empty" }, "no data yet"));
    return fig;
  }
  const tables = lines.map((l) => [l.points.x, l.points.y] as uPlot.AlignedData);
  const data = uPlot.join(tables);
  const stepped = uPlot.paths.stepped?.({ align: 1 });
  const opts: uPlot.Options = {
    width,
    height,
    scales: { x: { time: false } },
    axes: [{ label: spec.xLabel }, { label: spec.yLabel, size: 60 }],
    series: [
      { label: spec.xLabel },
      ...lines.map((l, i) => ({
        label: l.name,
        stroke: COLOURS[i % COLOURS.length]!,
        width: l.width ?? 1.5,
        spanGaps: true,
        ...(l.dash ? { dash: [6, 4] } : {}),
        ...(spec.stepped && stepped ? { paths: stepped } : {}),
        points: { show: spec.points ?? false, size: 5 },
      })),
    ],
    legend: { show: true },
  };
  const holder = h("div", { class: "plot" });
  fig.appendChild(holder);
  new uPlot(opts, data, holder);
  return fig;
}
