import type { BuiltinTask } from "./types.js";
import { tpsMay2022 } from "./tabular/tps-may-2022.js";
import { tpsDec2021 } from "./tabular/tps-dec-2021.js";
import { nomad2018 } from "./tabular/nomad2018.js";
import { leafClassification } from "./tabular/leaf-classification.js";
import { spooky } from "./text/spooky.js";
import { tweets } from "./text/tweets.js";

/** Every built-in mini task, in listing order. */
export const BUILTIN_TASKS: readonly BuiltinTask[] = [tpsMay2022, tpsDec2021, nomad2018, leafClassification, spooky, tweets];

/** The seed `mlerl tasks prepare` generates with; part of the prepared stamp so a change regenerates. */
export const BUILTIN_SEED = 20220501;

export function findBuiltin(id: string): BuiltinTask | undefined {
  return BUILTIN_TASKS.find((t) => t.spec.id === id);
}
