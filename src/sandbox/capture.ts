import type { CapturedOutput } from "./executor.js";

/**
 * Keeps the first and last `maxBytes / 2` bytes of a stream and counts the rest, so a program that prints
 * gigabytes costs a constant amount of memory while the start (set-up messages) and the end (the final
 * traceback or score) both survive.
 */
export class HeadTailCapture {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  total = 0;

  constructor(maxBytes: number) {
    this.headLimit = Math.ceil(maxBytes / 2);
    this.tailLimit = Math.floor(maxBytes / 2);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(this.headLimit - this.headBytes, rest.length);
      this.head.push(rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailLimit === 0) return;
    if (rest.length >= this.tailLimit) {
      // Copy: the chunk's backing buffer may be large and must not be kept alive by a small slice.
      this.tail = [Buffer.from(rest.subarray(rest.length - this.tailLimit))];
      this.tailBytes = this.tailLimit;
      return;
    }
    this.tail.push(Buffer.from(rest));
    this.tailBytes += rest.length;
    while (this.tailBytes - (this.tail[0]?.length ?? 0) >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  result(): CapturedOutput {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailLimit) tail = tail.subarray(tail.length - this.tailLimit);
    const dropped = this.total - head.length - tail.length;
    if (dropped <= 0) {
      return { text: Buffer.concat([head, tail]).toString("utf8"), truncated: false, totalBytes: this.total };
    }
    const marker = `\n[... mlerl: ${dropped} bytes of output dropped (${this.total} in total; first ${head.length} and last ${tail.length} kept) ...]\n`;
    return { text: head.toString("utf8") + marker + tail.toString("utf8"), truncated: true, totalBytes: this.total };
  }
}
