// Starts the grading worker. Run from source, the entry is TypeScript: register tsx's loader in this thread
// first (a worker does not inherit the loader the main thread was started with).
import { workerData } from "node:worker_threads";

if (workerData.entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(workerData.entry);
