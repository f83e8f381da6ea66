/**
 * How a second instrumenter (a frozen LM) slots in: its output is used only if the acceptance check passes —
 * nothing but marker lines added, each a statement of its own — otherwise the AST instrumenter's is.
 */
import type { AstInstrumenter } from "./ast.js";
import { milestonesOf, type Instrumenter, type InstrumentResult } from "./types.js";

export class CheckedInstrumenter implements Instrumenter {
  readonly name: string;

  constructor(
    private readonly primary: Instrumenter,
    private readonly fallback: AstInstrumenter,
  ) {
    this.name = `${primary.name}+${fallback.name}`;
  }

  async instrument(code: string, nonce: string): Promise<InstrumentResult> {
    let reason: string;
    try {
      const out = await this.primary.instrument(code, nonce);
      const verdict = await this.fallback.accept(code, out.code, nonce);
      if (verdict.ok && out.parsed) {
        // The sites come from the text itself, never from what the primary claims about it.
        return {
          code: out.code,
          sites: verdict.sites,
          milestones: milestonesOf(verdict.sites),
          parsed: true,
          ...(out.note ? { note: out.note } : {}),
          tampering: verdict.tampering,
        };
      }
      reason = verdict.ok ? (out.note ?? "did not parse") : verdict.reason;
    } catch (e) {
      reason = `failed: ${e instanceof Error ? e.message : String(e)}`;
    }
    const ast = await this.fallback.instrument(code, nonce);
    const note = `${this.primary.name} output rejected (${reason}); used ${this.fallback.name}`;
    return { ...ast, note: ast.note ? `${note}; ${ast.note}` : note };
  }

  async close(): Promise<void> {
    await this.primary.close?.();
    await this.fallback.close();
  }
}
