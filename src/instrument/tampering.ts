/**
 * The tampering verdict of a rollout: why its markers cannot be trusted. Two sources, both outside the program:
 * the plain-ML profile (checked on the source before it runs, python/instrument/plain_profile.py) and the markers on
 * its stdout (wrong tags, or a genuine one-time line printed twice). A flagged rollout earns no partial credit; the
 * grade of a valid submission, computed outside the sandbox, still counts (docs/instrumentation.md).
 */
import type { MarkerReport } from "./markers.js";

export interface Tampering {
  /** One line each, e.g. "line 3: imports ctypes, which is outside the plain-ML profile". */
  reasons: string[];
}

/** What the markers on stdout say about forging. */
export function markerTamperingReasons(report: Pick<MarkerReport, "rejected" | "replayed">): string[] {
  const reasons: string[] = [];
  if (report.rejected > 0)
    reasons.push(
      `printed ${report.rejected} marker-shaped line${report.rejected === 1 ? "" : "s"} with a wrong tag (forged or replayed markers)`,
    );
  if (report.replayed > 0)
    reasons.push(`printed ${report.replayed} genuine marker line${report.replayed === 1 ? "" : "s"} a second time (captured and replayed)`);
  return reasons;
}

/** The rollout's verdict: the profile's reasons, then the markers'; null when there are none. */
export function tamperingVerdict(profile: Tampering | null, report: Pick<MarkerReport, "rejected" | "replayed"> | null): Tampering | null {
  const reasons = [...(profile?.reasons ?? []), ...(report ? markerTamperingReasons(report) : [])];
  return reasons.length > 0 ? { reasons } : null;
}
