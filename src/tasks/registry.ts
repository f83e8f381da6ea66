// Placeholder: the task registry (built-in mini tasks + MLE-bench prepared dirs) is being written.
import type { TaskPaths, TaskSpec } from "./spec.js";
export type { TaskPaths, TaskSpec };
