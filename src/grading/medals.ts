import type { Thresholds } from "../core/task.js";

export interface MedalResult {
  gold_medal: boolean;
  silver_medal: boolean;
  bronze_medal: boolean;
  any_medal: boolean;
  above_median: boolean;
}

const NO_MEDAL: MedalResult = { gold_medal: false, silver_medal: false, bronze_medal: false, any_medal: false, above_median: false };

/**
 * MLE-bench's medal rule: thresholds are inclusive (score >= threshold, or <= when lower is better), medals are
 * exclusive (gold, else silver, else bronze), and above_median is strict. No score or no thresholds: nothing.
 */
export function medalsFor(score: number | null, thresholds: Thresholds | undefined, lowerIsBetter: boolean): MedalResult {
  if (score === null || !Number.isFinite(score) || !thresholds) return NO_MEDAL;
  const reaches = (t: number) => (lowerIsBetter ? score <= t : score >= t);
  const gold = reaches(thresholds.gold);
  const silver = !gold && reaches(thresholds.silver);
  const bronze = !gold && !silver && reaches(thresholds.bronze);
  const aboveMedian = lowerIsBetter ? score < thresholds.median : score > thresholds.median;
  return { gold_medal: gold, silver_medal: silver, bronze_medal: bronze, any_medal: gold || silver || bronze, above_median: aboveMedian };
}

export interface LeaderboardThresholds extends Thresholds {
  /** True when the leaderboard's first score is below its last (MLE-bench's is_lower_better). */
  isLowerBetter: boolean;
}

/**
 * Medal thresholds from a Kaggle leaderboard (scores in leaderboard order, best first), by MLE-bench's rule:
 * the score at a 1-based position that depends on the number of teams N, and the median of all scores.
 */
export function thresholdsFromLeaderboard(scores: readonly number[]): LeaderboardThresholds {
  const n = scores.length;
  if (n === 0) throw new RangeError("a leaderboard needs at least one score");
  // Positions are computed as Python's int(n * fraction) on doubles, so n * 0.1 etc. must stay multiplications.
  const at = (position: number) => {
    if (position < 1 || position > n) throw new RangeError(`leaderboard position ${position} is out of range for ${n} teams`);
    return scores[position - 1] as number;
  };
  const frac = (f: number) => Math.max(1, Math.trunc(n * f));
  let gold: number;
  let silver: number;
  let bronze: number;
  if (n < 100) {
    gold = at(frac(0.1));
    silver = at(frac(0.2));
    bronze = at(frac(0.4));
  } else if (n < 250) {
    gold = at(10);
    silver = at(frac(0.2));
    bronze = at(frac(0.4));
  } else if (n < 1000) {
    gold = at(10 + Math.trunc(n * 0.002));
    silver = at(50);
    bronze = at(100);
  } else {
    gold = at(10 + Math.trunc(n * 0.002));
    silver = at(frac(0.05));
    bronze = at(frac(0.1));
  }
  return { gold, silver, bronze, median: median(scores), isLowerBetter: (scores[0] as number) < (scores[n - 1] as number) };
}

/** pandas Series.median: NaN skipped, mean of the two middle values for an even count. */
function median(values: readonly number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/**
 * Python's round(x, 5): the decimal nearest to the double's exact value, ties to even. (toFixed breaks exact
 * ties upward, e.g. 0.015625 -> 0.01563 where Python gives 0.01562.)
 */
export function roundScore(x: number, digits = 5): number {
  if (!Number.isFinite(x)) return x;
  const fixed = Number(x.toFixed(digits));
  const exact = Math.abs(x).toFixed(digits + 25); // exact for any double that sits on a tie at `digits`
  const tail = exact.slice(exact.indexOf(".") + 1 + digits);
  if (!/^50*$/.test(tail)) return fixed;
  const down = Number((Math.sign(x) * Number(exact.slice(0, exact.indexOf(".") + 1 + digits))).toFixed(digits));
  const lastDigit = Number(exact[exact.indexOf(".") + digits]);
  return lastDigit % 2 === 0 ? down : fixed;
}
