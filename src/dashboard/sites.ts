/**
 * The instrumenter's sites of a program, for showing beside its lines. Sites travel to the launcher and are not
 * stored, so they are placed again by the deterministic AST instrumenter (what an AST-instrumented run used;
 * for an LM instrumenter, the AST's placement the LM's was checked against). Remembered per program.
 */
import { AstInstrumenter } from "../instrument/ast.js";
import { newNonce } from "../instrument/nonce.js";
import type { SiteView } from "./api.js";

export class SitePlacer {
  private instrumenter: AstInstrumenter | null = null;
  private broken: string | null = null;
  private readonly memo = new Map<string, { placed: SiteView[]; source: string }>();

  async sitesOf(code: string, instrumenter: string | null): Promise<{ placed: SiteView[]; source: string }> {
    if (instrumenter === null) return { placed: [], source: "instrumentation was off for this rollout" };
    const hit = this.memo.get(code);
    if (hit) return hit;
    if (this.broken) return { placed: [], source: this.broken };
    try {
      this.instrumenter ??= new AstInstrumenter();
      const r = await this.instrumenter.instrument(code, newNonce());
      const placed = r.sites.map((s) => ({ after: s.after, kind: s.kind, value: s.value }));
      const source =
        (instrumenter === "ast"
          ? "placed again by the AST instrumenter"
          : `placed by the AST instrumenter (this rollout used ${instrumenter})`) + (r.note ? `; ${r.note}` : "");
      const out = { placed, source };
      if (this.memo.size > 2000) this.memo.clear();
      this.memo.set(code, out);
      return out;
    } catch (e) {
      this.broken = `sites unavailable: ${e instanceof Error ? e.message : String(e)}`;
      return { placed: [], source: this.broken };
    }
  }

  async close(): Promise<void> {
    await this.instrumenter?.close();
    this.instrumenter = null;
  }
}
