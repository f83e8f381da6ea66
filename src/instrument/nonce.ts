import { createHmac, randomBytes } from "node:crypto";
import { MARKER_KINDS, type MarkerKind } from "./types.js";

/** A fresh per-execution secret: 192 random bits, hex. It never enters the sandbox; only tags derived from it do. */
export function newNonce(): string {
  return randomBytes(24).toString("hex");
}

const TAG_HEX = 32;

/**
 * How many `metric` reports one execution can make: each uses a tag of its own, once (the launcher keeps one
 * page per marker line, see docs/instrumentation.md); reports beyond this many are not written.
 */
export const METRIC_REPORTS = 64;

/**
 * The tag a genuine `kind` marker carries in this execution: HMAC-SHA256(nonce, kind), 128 bits in hex; a
 * `metric` report has one tag per report (`use` 0 .. METRIC_REPORTS-1). Knowing one execution's tags says
 * nothing about another's, and the nonce cannot be recovered from tags.
 */
export function markerTag(nonce: string, kind: MarkerKind, use = 0): string {
  const label = kind === "metric" ? `mlerl-marker\u0000metric\u0000${use}` : `mlerl-marker\u0000${kind}`;
  return createHmac("sha256", nonce).update(label).digest("hex").slice(0, TAG_HEX);
}

/** Every tag a genuine marker of this execution can carry, with its kind. */
export function markerTags(nonce: string): Map<string, MarkerKind> {
  const tags = new Map<string, MarkerKind>();
  for (const kind of MARKER_KINDS) {
    if (kind === "metric") for (let i = 0; i < METRIC_REPORTS; i++) tags.set(markerTag(nonce, kind, i), kind);
    else tags.set(markerTag(nonce, kind), kind);
  }
  return tags;
}

export function assertNonce(nonce: string): void {
  if (!/^[0-9a-f]{32,}$/.test(nonce)) throw new Error("a marker nonce must be at least 128 bits of lowercase hex (use newNonce())");
}
