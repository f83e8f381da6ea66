/** What the dashboard needs of a task (metric direction, medal thresholds), from the task registry, remembered per id. */
import type { Thresholds } from "../core/task.js";
import { getTask } from "../tasks/registry.js";

export interface TaskFacts {
  metric: string;
  lowerIsBetter: boolean;
  thresholds: Thresholds | null;
}

export type TaskLookup = (taskId: string) => TaskFacts | null;

/** The registry's facts of a task id, or null for a task this machine does not know. */
export function registryLookup(dataDir: string): TaskLookup {
  const known = new Map<string, TaskFacts | null>();
  return (id) => {
    if (!known.has(id)) {
      try {
        const spec = getTask(id, dataDir);
        known.set(id, { metric: spec.metric, lowerIsBetter: spec.lowerIsBetter, thresholds: spec.thresholds ?? null });
      } catch {
        known.set(id, null);
      }
    }
    return known.get(id) ?? null;
  };
}
