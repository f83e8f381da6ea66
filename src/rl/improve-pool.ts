import type { ImproveParent } from "../core/rollout.js";
import type { Rng } from "../util/random.js";

/**
 * Earlier valid solutions per task, best first, that improve prompts start from. Only valid solutions enter:
 * the paper found a small model improves working code far better than it debugs broken code.
 */
export class ImprovePool {
  private readonly byTask = new Map<string, ImproveParent[]>();
  constructor(private readonly capacity: number) {}

  add(taskId: string, parent: ImproveParent): void {
    const list = this.byTask.get(taskId) ?? [];
    list.push(parent);
    list.sort((a, b) => b.reward - a.reward || a.rolloutId - b.rolloutId);
    list.length = Math.min(list.length, this.capacity);
    this.byTask.set(taskId, list);
  }

  pick(taskId: string, rng: Rng): ImproveParent | undefined {
    const list = this.byTask.get(taskId);
    return list && list.length > 0 ? rng.pick(list) : undefined;
  }

  size(taskId: string): number {
    return this.byTask.get(taskId)?.length ?? 0;
  }
}
