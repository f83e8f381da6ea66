import { register } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-cpu";

export { tf };

/**
 * tfjs-core's Node bundle registers no gradient functions (the full tfjs package adds them from the ES build, whose
 * extension-less imports plain Node cannot resolve). This resolve hook adds the `.js` those imports lack, so the ES
 * build's gradient registrations can be loaded; they land in the engine-wide registry shared with the Node bundle.
 */
const HOOK = `
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (parent.includes("/@tensorflow/tfjs-core/dist/") && specifier.startsWith(".") && !specifier.endsWith(".js")) {
    try { return await next(specifier + ".js", context); } catch { return next(specifier + "/index.js", context); }
  }
  return next(specifier, context);
}`;

let gradients: Promise<void> | undefined;
function registerGradients(): Promise<void> {
  gradients ??= (async () => {
    if (tf.getGradient("BatchMatMul") !== undefined) return;
    register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js" as string);
  })();
  return gradients;
}

let ready: Promise<string> | undefined;

/**
 * Select the TensorFlow.js backend once per process: WASM (fast, deterministic), else the pure-JS CPU backend.
 * `MLERL_TF_BACKEND=cpu` forces the latter (e.g. where WebAssembly is unavailable).
 */
export function initTf(): Promise<string> {
  ready ??= (async () => {
    await registerGradients();
    const wanted = process.env.MLERL_TF_BACKEND === "cpu" ? "cpu" : "wasm";
    // The WASM module's loader installs process-wide handlers that re-throw every uncaught exception and unhandled
    // rejection from inside its minified source; take them out again so mlerl's own error handling stays in charge.
    const before = {
      uncaughtException: new Set(process.listeners("uncaughtException")),
      unhandledRejection: new Set(process.listeners("unhandledRejection")),
    };
    let ok = false;
    try {
      ok = await tf.setBackend(wanted);
    } catch {
      ok = false;
    }
    if (!ok) await tf.setBackend("cpu");
    await tf.ready();
    for (const l of process.listeners("uncaughtException"))
      if (!before.uncaughtException.has(l)) process.removeListener("uncaughtException", l);
    for (const l of process.listeners("unhandledRejection"))
      if (!before.unhandledRejection.has(l)) process.removeListener("unhandledRejection", l);
    return tf.getBackend();
  })();
  return ready;
}
