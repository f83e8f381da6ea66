/**
 * What the agent is shown of a previous execution's output: instrumentation removed, secrets redacted, then
 * trimmed to its head and tail (the start says what the program did, the end holds the error or the metric).
 */

/** Removes instrumentation marker lines from an execution's output. Supplied by the instrumentation module. */
export type StripMarkers = (output: string) => string;

export interface TrimOptions {
  /** Characters kept from the start. */
  head?: number;
  /** Characters kept from the end. */
  tail?: number;
}

/** The same split AIDE uses when it shows terminal output to its model. */
export const DEFAULT_TRIM = { head: 2500, tail: 2500 } as const;

/** True for the first half of a UTF-16 surrogate pair: cutting right after it would leave half a character. */
function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Keep the first `head` and last `tail` characters with a marker saying how many were dropped between them.
 * Text that fits is returned unchanged. Never splits a surrogate pair.
 */
export function trimHeadTail(text: string, options: TrimOptions = {}): string {
  const head = Math.max(0, Math.floor(options.head ?? DEFAULT_TRIM.head));
  const tail = Math.max(0, Math.floor(options.tail ?? DEFAULT_TRIM.tail));
  if (text.length <= head + tail) return text;
  let headEnd = head;
  if (headEnd > 0 && isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  let tailStart = text.length - tail;
  if (tailStart < text.length && tailStart > 0 && isHighSurrogate(text.charCodeAt(tailStart - 1))) tailStart += 1;
  const omitted = tailStart - headEnd;
  const marker = `\n[... ${omitted} characters omitted ...]\n`;
  return text.slice(0, headEnd) + marker + text.slice(tailStart);
}

/** Replace every occurrence of each secret (e.g. an instrumentation nonce) with a fixed token. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join("[redacted]");
  }
  return out;
}

export interface AgentVisibleOutputOptions extends TrimOptions {
  /** Required on purpose: every caller must say how instrumentation is removed (identity when there is none). */
  stripMarkers: StripMarkers;
  /** Strings that must never reach the agent (nonces); redacted wherever they still appear. */
  secrets?: readonly string[];
}

/**
 * The execution output as the improve prompt shows it. Order matters: markers are stripped before trimming so
 * they do not use up the budget, and secrets are redacted before trimming so a cut cannot leave half a secret
 * behind.
 */
export function agentVisibleOutput(raw: string, options: AgentVisibleOutputOptions): string {
  const normalised = raw.replace(/\r\n?/g, "\n");
  const stripped = options.stripMarkers(normalised);
  const redacted = redactSecrets(stripped, options.secrets);
  return trimHeadTail(redacted, options);
}
