import { BwrapExecutor } from "./bwrap-executor.js";
import type { Executor } from "./executor.js";
import { UnsandboxedExecutor, NO_ISOLATION_WARNING } from "./unsandboxed-executor.js";

export * from "./executor.js";
export { BwrapExecutor } from "./bwrap-executor.js";
export { UnsandboxedExecutor, NO_ISOLATION_WARNING } from "./unsandboxed-executor.js";
export { probeIsolation } from "./probe.js";

/**
 * The executor for agent programs: the bubblewrap sandbox, which refuses (UserError with the fix) when it
 * cannot isolate; or, only when the caller explicitly asks for it, direct execution, announced loudly.
 */
export function createExecutor(opts: { isolation: boolean; warn?: (line: string) => void }): Executor & { describe(): string } {
  if (opts.isolation) return new BwrapExecutor();
  (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(NO_ISOLATION_WARNING);
  return new UnsandboxedExecutor();
}
