/** Time as the loop sees it: real for real executions, virtual for simulations far beyond this machine. */
export interface Clock {
  /** Seconds since an arbitrary origin. */
  now(): number;
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
}

export class RealClock implements Clock {
  private readonly origin = performance.now();
  now(): number {
    return (performance.now() - this.origin) / 1000;
  }
  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, seconds * 1000);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Discrete-event time: sleeping registers a timer, and `drive` jumps to the earliest timer whenever every task is
 * blocked. A thousand simulated executors then cost what their bookkeeping costs, not their durations.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  sleep(seconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.t + Math.max(0, seconds),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private push(timer: Timer): void {
    // Binary insertion keeps timers sorted by (at, seq): equal times fire in the order they were set.
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.timers[mid]!;
      if (m.at < timer.at || (m.at === timer.at && m.seq < timer.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
  }

  /** Runs `work` to completion, advancing virtual time whenever nothing else can make progress. */
  async drive<T>(work: Promise<T>): Promise<T> {
    let done = false;
    let failed: unknown;
    let result: T | undefined;
    work.then(
      (v) => {
        done = true;
        result = v;
      },
      (e: unknown) => {
        done = true;
        failed = e ?? new Error("rejected");
      },
    );
    for (;;) {
      // Two macrotask turns let every chain of awaits settle before time moves.
      await new Promise<void>((r) => setImmediate(r));
      await new Promise<void>((r) => setImmediate(r));
      if (done) break;
      const next = this.timers.shift();
      if (!next) throw new Error("virtual clock: deadlock (work is blocked and no timer is pending)");
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    if (failed !== undefined) throw failed;
    return result as T;
  }
}
