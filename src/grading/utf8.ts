import { isUtf8 } from "node:buffer";

/**
 * The offset of the first byte that does not start a well-formed UTF-8 sequence (Python's strict decoder
 * rejects the same bytes: overlong forms, surrogates, values past U+10FFFF, truncated sequences), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // no overlong 3-byte forms
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // no overlong 4-byte forms
      if (b === 0xf4) hi = 0x8f; // nothing past U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c < min || c > max) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** What the first bytes say about the encoding, for the message (a UTF-16 BOM, or nothing). */
export function encodingHint(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return " (it starts with a UTF-16 little-endian byte-order mark)";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return " (it starts with a UTF-16 big-endian byte-order mark)";
  return "";
}
