/** The default instrumenter: deterministic, no model; finds milestone sites with Python's own parser. */
import { requireAgentPython } from "../runtime/venv.js";
import { assertNonce } from "./nonce.js";
import { checkInstrumented, renderInstrumented } from "./text.js";
import { milestonesOf, type Instrumenter, type InstrumentResult, type Site } from "./types.js";
import type { Tampering } from "./tampering.js";
import { AstWorker } from "./worker.js";

function verdictOf(reasons: string[] | null): Tampering | null {
  return reasons && reasons.length > 0 ? { reasons } : null;
}

export class AstInstrumenter implements Instrumenter {
  readonly name = "ast";
  private readonly worker: AstWorker;

  /** `python`: the interpreter whose grammar agent programs are written for (default: the agent venv's). */
  constructor(python: string = requireAgentPython().python) {
    this.worker = new AstWorker(python);
  }

  async instrument(code: string, nonce: string): Promise<InstrumentResult> {
    assertNonce(nonce);
    const answer = await this.worker.sites(code);
    const tampering = verdictOf(answer.tampering);
    if (!answer.parsed)
      return { code, sites: [], milestones: [], parsed: false, note: answer.note ?? "did not parse; returned unchanged", tampering };
    const sites: Site[] = answer.sites;
    const result: InstrumentResult = {
      code: renderInstrumented(code, sites, nonce),
      sites,
      milestones: milestonesOf(sites),
      parsed: true,
      tampering,
    };
    if (sites.length === 0) result.note = "no milestone found";
    return result;
  }

  /**
   * The full acceptance check for another instrumenter's output (e.g. an LM's): only marker lines added
   * (text), and each of them a statement of its own that the launcher accepts (structure). Returns the
   * sites to launch with and the plain-ML profile's verdict on the original, or why the output is rejected.
   */
  async accept(
    original: string,
    instrumented: string,
    nonce: string,
  ): Promise<{ ok: true; sites: Site[]; tampering: Tampering | null } | { ok: false; reason: string }> {
    const text = checkInstrumented(original, instrumented, nonce);
    if (!text.ok) return text;
    const structure = await this.worker.check(original, text.sites);
    if (text.sites.length > 0 && !structure.ok) return { ok: false, reason: structure.note ?? "the launcher rejects these marker lines" };
    return { ok: true, sites: text.sites, tampering: verdictOf(structure.tampering) };
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
