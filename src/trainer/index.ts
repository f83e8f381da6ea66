export type { Trainer, Datum, LossSpec, LossName, AdamParams, ForwardBackwardResult, OptimStepResult } from "./types.js";
export { InProcessTrainer } from "./in-process.js";
export { datumFromCompletion } from "./datum.js";
