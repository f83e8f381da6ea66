import { spawnSync } from "node:child_process";
import { requireAgentPython } from "../../src/runtime/venv.js";

/**
 * Run a Python snippet in the agent venv with `data` as JSON on stdin; the snippet must print one JSON value.
 * Non-finite floats travel as the strings "nan", "inf", "-inf" (JSON has no literal for them).
 */
export function runPython(script: string, data: unknown): unknown {
  const py = requireAgentPython();
  const prelude = `
import json, sys, math, warnings
warnings.simplefilter("ignore")
def enc(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (list, tuple)):
        return [enc(x) for x in v]
    if isinstance(v, dict):
        return {k: enc(x) for k, x in v.items()}
    return v
DATA = json.load(sys.stdin)
`;
  const r = spawnSync(py.python, ["-c", prelude + script], { input: JSON.stringify(data), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

export function decodeNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v === "nan") return Number.NaN;
  if (v === "inf") return Number.POSITIVE_INFINITY;
  if (v === "-inf") return Number.NEGATIVE_INFINITY;
  throw new Error(`not a number from python: ${JSON.stringify(v)}`);
}
