export * from "./types.js";
export { newNonce, markerTag, markerTags, METRIC_REPORTS } from "./nonce.js";
export { renderInstrumented, checkInstrumented, onlyPrintsAdded, markerStatement } from "./text.js";
export {
  MarkerScanner,
  MarkerReportSchema,
  parseMarkers,
  stripMarkers,
  metricFromPrintedLine,
  type MarkerReport,
  type MilestoneHit,
} from "./markers.js";
export { AstInstrumenter } from "./ast.js";
export { launchArgs, launchStdin, launcherSource, markerLines } from "./launch.js";
export { tamperingVerdict, markerTamperingReasons, type Tampering } from "./tampering.js";
export { CheckedInstrumenter } from "./fallback.js";
