import { medalsFor } from "../grading/index.js";
import type { RolloutRecord } from "../core/rollout.js";
import { better, type Thresholds } from "../core/task.js";
import type { UpdateStats } from "../core/update.js";
import type { LoopEvents } from "./loop.js";

export interface TaskInfo {
  lowerIsBetter: boolean;
  thresholds?: Thresholds;
}

export function medalLevel(score: number | null, info: TaskInfo | undefined): string {
  if (score === null || !info) return "-";
  const m = medalsFor(score, info.thresholds, info.lowerIsBetter);
  return m.gold_medal ? "gold" : m.silver_medal ? "silver" : m.bronze_medal ? "bronze" : m.above_median ? "above median" : "below median";
}

/**
 * Live state of a training run for the progress display: everything is derived from loop events, so the
 * display costs nothing the loop would not do anyway.
 */
export class TrainProgress {
  rollouts = 0;
  version = 0;
  inFlight = 0;
  private rewards: number[] = [];
  private dts: number[] = [];
  private best = new Map<string, number>();
  private lastUpdate: UpdateStats | null = null;
  /** Rollouts per machine that ran them, for runs whose executions go to queue workers. */
  private readonly byWorker = new Map<string, number>();
  /** A remote executor's live state (queue depth, per-worker utilisation), appended to the line when set. */
  status: (() => string) | null = null;
  private readonly t0: number;
  // Executor-milliseconds busy up to `tBusy`, integrated from start and finish events.
  private busyMs = 0;
  private tBusy: number;

  constructor(
    private readonly tasks: ReadonlyMap<string, TaskInfo>,
    private readonly executors: number,
    private readonly window = 32,
    private readonly now: () => number = Date.now,
  ) {
    this.t0 = now();
    this.tBusy = this.t0;
  }

  events(): LoopEvents {
    return {
      onStart: () => {
        this.integrate();
        this.inFlight = Math.min(this.executors, this.inFlight + 1);
      },
      onRollout: (row, o) => {
        this.integrate();
        this.rollout(row.taskId, o);
      },
      onUpdate: (u) => {
        this.lastUpdate = u;
        this.version = u.version;
      },
    };
  }

  private integrate(): void {
    const t = this.now();
    this.busyMs += this.inFlight * (t - this.tBusy);
    this.tBusy = t;
  }

  /** Share of executor time spent running programs since the display started. */
  utilisation(): number {
    this.integrate();
    const span = (this.now() - this.t0) * this.executors;
    return span > 0 ? this.busyMs / span : 0;
  }

  /** The best valid score so far with its medal level: per task for one or two tasks, else a count. */
  bestText(): string {
    if (this.best.size === 0) return "best -";
    if (this.tasks.size <= 2)
      return [...this.best]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([id, score]) => `best ${this.tasks.size > 1 ? `${id} ` : ""}${score} (${medalLevel(score, this.tasks.get(id))})`)
        .join("  ");
    const levels = [...this.best].map(([id, score]) => medalLevel(score, this.tasks.get(id)));
    const medals = levels.filter((l) => l === "gold" || l === "silver" || l === "bronze").length;
    const aboveMedian = levels.filter((l) => l !== "below median" && l !== "-").length;
    return `valid on ${this.best.size}/${this.tasks.size} tasks, ${aboveMedian} above median, ${medals} medal${medals === 1 ? "" : "s"}`;
  }

  private rollout(taskId: string, record: RolloutRecord): void {
    const o = record.reward;
    this.rollouts += 1;
    const w = record.execution.worker;
    if (w !== null) this.byWorker.set(w, (this.byWorker.get(w) ?? 0) + 1);
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.rewards.push(o.reward);
    this.dts.push(o.wallSec);
    if (this.rewards.length > this.window) this.rewards.shift();
    if (this.dts.length > this.window) this.dts.shift();
    if (o.validSubmission && o.score !== null) {
      const lower = this.tasks.get(taskId)?.lowerIsBetter ?? false;
      const prev = this.best.get(taskId);
      if (prev === undefined || better(o.score, prev, lower)) this.best.set(taskId, o.score);
    }
  }

  line(): string {
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const s = Math.round((this.now() - this.t0) / 1000);
    const u = this.lastUpdate;
    const stale = u ? `${u.stalenessMean.toFixed(2)} (max ${u.stalenessMax})` : "-";
    const remote = this.status ? `  ${this.status()}  ran by ${[...this.byWorker].map(([w, n]) => `${w} ${n}`).join(", ") || "-"}` : "";
    return `[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}] rollouts ${this.rollouts}  reward(avg ${this.window}) ${avg(this.rewards).toFixed(3)}  ${this.bestText()}  mean Δt ${avg(this.dts).toFixed(1)} s  executors ${(this.utilisation() * 100).toFixed(0)}% busy (${this.inFlight}/${this.executors} now)  version ${this.version}  staleness ${stale}${remote}`;
  }

  bestLines(): string[] {
    return [...this.best]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, score]) => `    best ${id}: ${score} (${medalLevel(score, this.tasks.get(id))})`);
  }
}
