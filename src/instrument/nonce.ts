import { createHmac, randomBytes } from "node:crypto";
import type { MarkerKind } from "./types.js";

/** A fresh per-execution secret: 192 random bits, hex. It never enters the sandbox; only tags derived from it do. */
export function newNonce(): string {
  return randomBytes(24).toString("hex");
}

const TAG_HEX = 32;

/**
 * The tag a genuine `kind` marker carries in this execution: HMAC-SHA256(nonce, kind), 128 bits in hex.
 * Knowing one execution's tags says nothing about another's, and the nonce cannot be recovered from tags.
 */
export function markerTag(nonce: string, kind: MarkerKind): string {
  return createHmac("sha256", nonce).update(`mlerl-marker\u0000${kind}`).digest("hex").slice(0, TAG_HEX);
}

export function assertNonce(nonce: string): void {
  if (!/^[0-9a-f]{32,}$/.test(nonce)) throw new Error("a marker nonce must be at least 128 bits of lowercase hex (use newNonce())");
}
