import type { Completion, SampleOptions, SampleRequest, Sampler } from "../../src/policy/types.js";
import { prepareTasks } from "../../src/tasks/registry.js";

export const TASK = "mini-nomad2018-predict-transparent-conductors";
const TARGETS = ["formation_energy_ev_natom", "bandgap_energy_ev"];

import { tempDir } from "../agent/tmp.js";
export { tempDir };

/** A data dir with the nomad mini task prepared (shared by a test file's tests). */
export async function preparedDataDir(): Promise<string> {
  const dataDir = tempDir("mlerl-eval-data-");
  await prepareTasks([TASK], dataDir, () => {});
  return dataDir;
}

/**
 * A tiny nomad program (stdlib only, well under a second): writes a constant submission and prints a chosen
 * validation metric. `value: "mean"` predicts the training means; a number predicts that number for both targets.
 */
export function constantProgram(value: "mean" | number, printedMetric: number | null): string {
  const lines = [
    "import csv",
    `targets = ${JSON.stringify(TARGETS)}`,
    value === "mean"
      ? 'rows = list(csv.DictReader(open("/home/data/train.csv")))\npred = [sum(float(r[t]) for r in rows) / len(rows) for t in targets]'
      : `pred = [${value}, ${value}]`,
    'test = list(csv.DictReader(open("/home/data/test.csv")))',
    'with open("/home/submission/submission.csv", "w", newline="") as f:',
    "    w = csv.writer(f)",
    '    w.writerow(["id"] + targets)',
    "    for r in test:",
    '        w.writerow([r["id"]] + pred)',
  ];
  if (printedMetric !== null) lines.push(`val_rmsle = ${printedMetric}`, 'print(f"validation rmsle: {val_rmsle:.4f}")');
  return `${lines.join("\n")}\n`;
}

export const CRASHING_PROGRAM = 'import csv\nraise RuntimeError("boom")\n';

/** A Sampler double: answers each request with the program `script` returns for it, and records the requests. */
export class ScriptedSampler implements Sampler {
  readonly name = "scripted";
  readonly requests: Array<{ request: SampleRequest; seed: number }> = [];
  private n = 0;

  constructor(private readonly script: (req: SampleRequest, index: number) => string) {}

  version(): number {
    return 0;
  }

  async sample(requests: SampleRequest[], options: SampleOptions): Promise<Completion[]> {
    return requests.map((request) => {
      const index = this.n++;
      this.requests.push({ request, seed: options.seed });
      // Tokens identify the completion, so a test can see which earlier program an improve request continued.
      return { promptTokens: [], tokens: [1000 + index], logprobs: [0], text: this.script(request, index), version: 0, finished: true };
    });
  }
}
