export * from "./types.js";
export { newNonce, markerTag } from "./nonce.js";
export { renderInstrumented, checkInstrumented, onlyPrintsAdded, markerStatement } from "./text.js";
export { MarkerScanner, parseMarkers, stripMarkers, metricFromPrintedLine, type MarkerReport, type MilestoneHit } from "./markers.js";
export { AstInstrumenter } from "./ast.js";
export { launchArgs, launchStdin, launcherSource } from "./launch.js";
export { CheckedInstrumenter } from "./fallback.js";
