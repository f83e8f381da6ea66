import { availableParallelism, totalmem } from "node:os";
import { StoredRunConfig, type RunConfig } from "../core/config.js";
import { UserError } from "../errors.js";
import { StoreReadError, type RunStore } from "./run-store.js";

/** The config a training run was started with (migrated from older versions), or undefined for a new run dir. */
export function storedRunConfig(store: RunStore): RunConfig | undefined {
  try {
    return store.readMeta("config", StoredRunConfig);
  } catch (e) {
    if (!(e instanceof StoreReadError)) throw e;
    throw new UserError(
      `${store.runDir} holds a config this mlerl cannot read: ${e.message}`,
      "start a new run, or resume it with the mlerl version that created it",
    );
  }
}

/** Stores a new run's config; it is read back on every resume. */
export function storeRunConfig(store: RunStore, config: RunConfig): void {
  store.setMeta("config", JSON.stringify(config));
}

/** Records the machine a run is made on (cores, memory), for the resources line of its reports. */
export function storeMachine(store: RunStore): void {
  store.setMeta("machine", JSON.stringify({ cores: availableParallelism(), memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10 }));
}
