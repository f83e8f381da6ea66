/**
 * Flags generated from a config schema: each flag names a path in the config (`--batch` → `loop.batchSize`), and
 * its value type, choices, help text and default are read from the schema at that path, so the CLI has no
 * defaults or checks of its own. Values are checked by the schema; `configIssueToUserError` turns its first issue
 * back into a message that names the flag.
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { z } from "zod";
import { UserError } from "../errors.js";

/** One flag: where its value goes in the config, and how it reads. */
export interface FlagSpec {
  /** e.g. "--batch <n>", "--no-duration-aware", "--task <id...>". */
  flags: string;
  /** Dotted path in the config object. */
  path: string;
  /** Help text when the schema's description is not what a flag user needs. */
  help?: string;
  /** A word that stands for null (e.g. --score-floor none). */
  nullWord?: string;
  /** Turns the raw string into the config value (e.g. read a JSON file); default: by the schema's type. */
  read?: (raw: string, flag: string) => unknown;
}

/** The flag's long name without value placeholder or `--no-`. */
export function flagName(spec: Pick<FlagSpec, "flags">): string {
  return spec.flags.split(/\s+/)[0]!;
}

type Schema = z.ZodType;

/** The schema node at a dotted path of an object schema (through defaults, optionals and transforms). */
export function schemaAt(root: Schema, path: string): Schema {
  let node: Schema = root;
  for (const key of path.split(".")) {
    const obj = unwrap(node);
    if (!(obj instanceof z.ZodObject)) throw new Error(`config path ${path}: ${key} is not inside an object`);
    const next = (obj.shape as Record<string, Schema>)[key];
    if (!next) throw new Error(`config path ${path}: no field ${key}`);
    node = next;
  }
  return node;
}

function unwrap(s: Schema): Schema {
  let node = s;
  for (;;) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault || node instanceof z.ZodPrefault)
      node = node.unwrap() as Schema;
    else if (node instanceof z.ZodPipe) node = node.in as Schema;
    else return node;
  }
}

/** The description of the outermost node that has one. */
function describe(s: Schema): string | undefined {
  let node: Schema = s;
  for (;;) {
    if (node.description) return node.description;
    if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault || node instanceof z.ZodPrefault)
      node = node.unwrap() as Schema;
    else return undefined;
  }
}

function getPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const k of path.split(".")) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (next === undefined || next === null || typeof next !== "object") o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys.at(-1)!] = value;
}

/** One number parser for every numeric flag; ranges are the schema's business. */
export function parseNumber(raw: string, integer: boolean): number {
  const n = raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected ${integer ? "an integer" : "a number"}, got '${raw}'`);
  if (integer && !Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got '${raw}'`);
  return n;
}

export interface NumberBounds {
  int?: boolean;
  /** Strictly above zero. */
  positive?: boolean;
  min?: number;
  max?: number;
}

/** A commander argument parser for a number flag with optional bounds (for flags outside any config). */
export function numberArg(o: NumberBounds = {}): (raw: string) => number {
  return (raw) => {
    const n = parseNumber(raw, o.int ?? false);
    if (o.positive && !(n > 0)) throw new InvalidArgumentError(`must be > 0, got '${raw}'`);
    if (o.min !== undefined && n < o.min) throw new InvalidArgumentError(`must be ≥ ${o.min}, got '${raw}'`);
    if (o.max !== undefined && n > o.max) throw new InvalidArgumentError(`must be ≤ ${o.max}, got '${raw}'`);
    return n;
  };
}

function formatDefault(v: unknown): string {
  if (v === null) return "none";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

/**
 * Adds the flags of a table to a command. Help text is the schema's description plus the default: read from
 * `defaults` (the schema parsed from nothing) or, for defaults that depend on other fields, from `derived`.
 */
export function addConfigFlags(
  cmd: Command,
  root: Schema,
  table: readonly FlagSpec[],
  defaults: unknown,
  derived: Readonly<Record<string, string>> = {},
): Command {
  for (const spec of table) {
    const node = schemaAt(root, spec.path);
    const base = unwrap(node);
    const desc = spec.help ?? describe(node) ?? "";
    const dflt =
      derived[spec.path] ?? (getPath(defaults, spec.path) === undefined ? undefined : formatDefault(getPath(defaults, spec.path)));
    const negated = spec.flags.startsWith("--no-");
    const text = negated ? desc : dflt !== undefined ? `${desc} (default: ${dflt})` : desc;
    const option = new Option(spec.flags, text);
    if (base instanceof z.ZodEnum) option.choices(base.options.map(String));
    else if (base instanceof z.ZodNumber && !spec.read) {
      const integer = base.format === "safeint" || base.format === "int32" || base.isInt === true;
      // The null word passes through as itself (commander turns a parser's null into ""); configFromFlags maps it.
      option.argParser((raw: string) => (spec.nullWord !== undefined && raw === spec.nullWord ? raw : parseNumber(raw, integer)));
    }
    cmd.addOption(option);
  }
  return cmd;
}

/** The commander option key of a flag (camelCase of its name, without `--no-`). */
function optionKey(spec: FlagSpec): string {
  const name = flagName(spec)
    .replace(/^--(no-)?/, "")
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return name;
}

/**
 * The config input the given flags describe: only flags the user actually passed are set, so every default
 * stays the schema's. `source` tells which options came from the command line.
 */
export function configFromFlags(cmd: Command, table: readonly FlagSpec[]): Record<string, unknown> {
  const opts = cmd.opts<Record<string, unknown>>();
  const out: Record<string, unknown> = {};
  for (const spec of table) {
    const key = optionKey(spec);
    if (cmd.getOptionValueSource(key) !== "cli") continue;
    const raw = opts[key];
    const value =
      spec.nullWord !== undefined && raw === spec.nullWord
        ? null
        : spec.read && typeof raw === "string"
          ? spec.read(raw, flagName(spec))
          : raw;
    setPath(out, spec.path, value);
  }
  return out;
}

/** The flag that sets a config path, for messages. */
export function flagForPath(table: readonly FlagSpec[], path: readonly PropertyKey[]): string | undefined {
  const dotted = path.map(String).join(".");
  return table.find((s) => s.path === dotted || dotted.startsWith(`${s.path}.`))?.flags.split(/\s+/)[0];
}

/** The schema's first complaint as a UserError naming the flag that sets the field (or the field) and the value given. */
export function configIssueToUserError(error: z.ZodError, table: readonly FlagSpec[], input?: unknown, defaults?: unknown): UserError {
  const issue = error.issues[0]!;
  const flag = flagForPath(table, issue.path);
  const dflt = defaults === undefined ? undefined : getPath(defaults, issue.path.map(String).join("."));
  const hint =
    flag && dflt !== undefined && typeof dflt !== "object"
      ? `e.g. ${flag} ${formatDefault(dflt)} (the default); see --help for every flag`
      : "see --help for the flags and what each accepts";
  const field = issue.path.map(String).join(".") || "(config)";
  const given = input === undefined ? undefined : getPath(input, issue.path.map(String).join("."));
  const got = given === undefined || typeof given === "object" || /\bgot\b/.test(issue.message) ? "" : ` (got ${JSON.stringify(given)})`;
  return new UserError(`${flag ?? field}: ${issue.message}${got}`, hint);
}

/** A number flag's value read after parsing (for values commander hands over as strings), or a UserError. */
export function readNumber(flag: string, raw: string, o: NumberBounds = {}): number {
  try {
    return numberArg(o)(raw);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UserError(`${flag}: ${why}`, `e.g. ${flag} ${exampleOf(o)}`);
  }
}

/** A value inside the bounds, for a fix line. */
function exampleOf(o: NumberBounds): number {
  if (o.min !== undefined && o.min > 1) return o.min;
  if (o.max !== undefined && o.max < 1) return o.max;
  return 1;
}
