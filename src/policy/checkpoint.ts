import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { ModelConfig, shapesOf } from "./model.js";

export const CHECKPOINT_FORMAT = "mlerl-fragment-lm" as const;

const Manifest = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  formatVersion: z.literal(1),
  config: ModelConfig,
  vocabFingerprint: z.string(),
  vocabSize: z.number().int(),
  outputSize: z.number().int(),
  /** Policy version (optimizer steps) of these weights. */
  version: z.number().int().nonnegative(),
  maxNewTokens: z.number().int().positive(),
  /** Adam step count; absent when no optimizer state was saved. */
  optimizerStep: z.number().int().nonnegative().optional(),
});
export type Manifest = z.infer<typeof Manifest>;

export interface CheckpointData {
  manifest: Manifest;
  weights: Map<string, Float32Array>;
  /** Adam first and second moments, by parameter name. */
  optimizer?: { m: Map<string, Float32Array>; v: Map<string, Float32Array> };
}

function pack(config: ModelConfig, values: Map<string, Float32Array>): Buffer {
  const parts: Buffer[] = [];
  for (const [name] of shapesOf(config)) {
    const v = values.get(name);
    if (!v) throw new Error(`missing tensor ${name}`);
    parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  return Buffer.concat(parts);
}

function unpack(config: ModelConfig, buf: Buffer, file: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let offset = 0;
  for (const [name, shape] of shapesOf(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (offset + n * 4 > buf.length) throw new UserError(`${file} is truncated (ends inside ${name})`, "re-save the checkpoint");
    const copy = new Float32Array(n);
    Buffer.from(copy.buffer).set(buf.subarray(offset, offset + n * 4));
    out.set(name, copy);
    offset += n * 4;
  }
  if (offset !== buf.length)
    throw new UserError(`${file} has ${buf.length - offset} bytes more than the config describes`, "re-save the checkpoint");
  return out;
}

/** Write a checkpoint directory atomically (a temporary sibling renamed into place). */
export function writeCheckpoint(dir: string, data: CheckpointData): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "weights.bin"), pack(data.manifest.config, data.weights));
  if (data.optimizer) {
    writeFileSync(join(tmp, "adam-m.bin"), pack(data.manifest.config, data.optimizer.m));
    writeFileSync(join(tmp, "adam-v.bin"), pack(data.manifest.config, data.optimizer.v));
  }
  writeFileSync(join(tmp, "policy.json"), `${JSON.stringify(data.manifest, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

export function readCheckpoint(dir: string): CheckpointData {
  const manifestPath = join(dir, "policy.json");
  if (!existsSync(manifestPath)) {
    throw new UserError(
      `${dir} is not a fragment-policy checkpoint (no policy.json)`,
      "pass a directory written by `mlerl policy init` or by training",
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch (e) {
    throw new UserError(`${manifestPath} is not valid JSON (${(e as Error).message})`, "re-save the checkpoint");
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserError(
      `${manifestPath}: field ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`,
      "re-save the checkpoint with this version of mlerl",
    );
  }
  const manifest = parsed.data;
  const weights = unpack(manifest.config, readFileSync(join(dir, "weights.bin")), join(dir, "weights.bin"));
  let optimizer: CheckpointData["optimizer"];
  if (manifest.optimizerStep !== undefined && existsSync(join(dir, "adam-m.bin"))) {
    optimizer = {
      m: unpack(manifest.config, readFileSync(join(dir, "adam-m.bin")), join(dir, "adam-m.bin")),
      v: unpack(manifest.config, readFileSync(join(dir, "adam-v.bin")), join(dir, "adam-v.bin")),
    };
  }
  return optimizer ? { manifest, weights, optimizer } : { manifest, weights };
}
