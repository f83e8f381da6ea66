import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { BUILTIN_TASK_IDS, listTasks, prepareTasks, requirePrepared, taskPaths } from "../../src/tasks/registry.js";
import { prepareBuiltinTask } from "../../src/tasks/prepare.js";
import type { BuiltinTask } from "../../src/tasks/builtin/types.js";
import { findBuiltin } from "../../src/tasks/builtin/index.js";

const tmp = () => mkdtempSync(join(tmpdir(), "mlerl-prepare-"));

/** Relative path -> sha256 of every file under dir. */
function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash("sha256").update(readFileSync(p)).digest("hex"));
    }
  };
  walk(dir);
  return out;
}

test("preparing twice, in two different data dirs, gives byte-identical files for every built-in task", async () => {
  const a = tmp();
  const b = tmp();
  await prepareTasks([], a, () => {});
  await prepareTasks([], b, () => {});
  for (const id of BUILTIN_TASK_IDS) {
    const da = digest(join(a, id));
    const db = digest(join(b, id));
    assert.ok(da.size >= 5, `${id}: expected public and private files, got ${[...da.keys()].join(", ")}`);
    assert.deepEqual(da, db, id);
    assert.equal(requirePrepared(id, a).paths.publicDir, taskPaths(id, a).publicDir);
  }
  assert.ok(
    listTasks(a)
      .filter((t) => t.source === "builtin")
      .every((t) => t.prepared),
  );
});

test("prepare is idempotent: a task with the same version and seed is skipped and its files are untouched", async () => {
  const dir = tmp();
  const id = "mini-nomad2018-predict-transparent-conductors";
  await prepareTasks([id], dir, () => {});
  const train = join(taskPaths(id, dir).publicDir, "train.csv");
  const before = statSync(train).mtimeMs;
  const lines: string[] = [];
  await prepareTasks([id], dir, (l) => lines.push(l));
  assert.equal(statSync(train).mtimeMs, before);
  assert.ok(
    lines.some((l) => /skipped/.test(l)),
    lines.join("\n"),
  );
});

test("a different seed gives different data and replaces the prepared files", async () => {
  const dir = tmp();
  const id = "mini-tabular-playground-series-may-2022";
  await prepareTasks([id], dir, () => {});
  const first = digest(join(dir, id));
  await prepareTasks([id], dir, () => {}, { seed: 7 });
  const second = digest(join(dir, id));
  assert.notEqual(first.get("prepared/public/train.csv"), second.get("prepared/public/train.csv"));
  // prepared with a non-default seed, so it no longer counts as the standard prepared task
  assert.equal(listTasks(dir).find((t) => t.spec.id === id)?.prepared, false);
});

function fakeTask(version: number, generate: BuiltinTask["generate"]): BuiltinTask {
  const real = findBuiltin("mini-nomad2018-predict-transparent-conductors")!;
  return { spec: { ...real.spec, id: "mini-fake" }, version, generate };
}

test("a generator that fails half-way leaves no prepared dir and no temp files", async () => {
  const dir = tmp();
  const paths = taskPaths("mini-fake", dir);
  const failing = fakeTask(1, (d) => {
    writeFileSync(join(d.publicDir, "train.csv"), "id\n1\n");
    throw new Error("disk full");
  });
  await assert.rejects(prepareBuiltinTask(failing, paths, 1), /disk full/);
  assert.equal(existsSync(join(paths.root, "prepared")), false);
  assert.deepEqual(readdirSync(paths.root), []);
});

test("a failed regeneration keeps the previous complete version", async () => {
  const dir = tmp();
  const paths = taskPaths("mini-fake", dir);
  await prepareBuiltinTask(
    fakeTask(1, (d) => writeFileSync(join(d.publicDir, "train.csv"), "v1\n")),
    paths,
    1,
  );
  await assert.rejects(
    prepareBuiltinTask(
      fakeTask(2, () => Promise.reject(new Error("crash"))),
      paths,
      1,
    ),
  );
  assert.equal(readFileSync(join(paths.publicDir, "train.csv"), "utf8"), "v1\n");
});

test("a preparer killed mid-way (SIGKILL) leaves nothing that looks prepared, and the next prepare cleans up", async () => {
  const dir = tmp();
  const paths = taskPaths("mini-fake", dir);
  const script = join(tmp(), "child.mts");
  const prepareModule = new URL("../../src/tasks/prepare.ts", import.meta.url).href;
  writeFileSync(
    script,
    `import { writeFileSync } from "node:fs";
import { join } from "node:path";
const { prepareBuiltinTask } = await import(${JSON.stringify(prepareModule)});
const task = { spec: { id: "mini-fake" }, version: 1, generate: async (d) => {
  writeFileSync(join(d.publicDir, "train.csv"), "partial\\n");
  process.stdout.write("half-way\\n");
  await new Promise(() => {});
} };
await prepareBuiltinTask(task, ${JSON.stringify(paths)}, 1);
`,
  );
  const tsx = new URL("../../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
  const child = spawn(process.execPath, ["--import", tsx, script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (b: Buffer) => b.toString().includes("half-way") && resolve());
    child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)));
  });
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  assert.equal(existsSync(join(paths.root, "prepared")), false);
  assert.equal(readdirSync(paths.root).length, 1, "the dead preparer's temp dir is still there");
  await prepareBuiltinTask(
    fakeTask(1, (d) => writeFileSync(join(d.publicDir, "train.csv"), "full\n")),
    paths,
    1,
  );
  assert.equal(readFileSync(join(paths.publicDir, "train.csv"), "utf8"), "full\n");
  assert.deepEqual(readdirSync(paths.root), ["prepared"]);
});

test("an unreadable stamp counts as not prepared and is regenerated", async () => {
  const dir = tmp();
  const id = "mini-nomad2018-predict-transparent-conductors";
  await prepareTasks([id], dir, () => {});
  writeFileSync(join(dir, id, "prepared", ".mlerl-prepared.json"), "{not json");
  assert.equal(listTasks(dir).find((t) => t.spec.id === id)?.prepared, false);
  mkdirSync(join(dir, "unrelated"), { recursive: true });
  await prepareTasks([id], dir, () => {});
  assert.equal(listTasks(dir).find((t) => t.spec.id === id)?.prepared, true);
});

test("several processes preparing the same task at once all succeed and leave one complete copy", async () => {
  const dir = tmp();
  const id = "mini-tabular-playground-series-dec-2021";
  const registry = new URL("../../src/tasks/registry.ts", import.meta.url).href;
  const script = join(tmp(), "prep.mts");
  writeFileSync(
    script,
    `const { prepareTasks } = await import(${JSON.stringify(registry)});\nawait prepareTasks([${JSON.stringify(id)}], ${JSON.stringify(dir)}, () => {});\n`,
  );
  const tsx = new URL("../../node_modules/tsx/dist/esm/index.mjs", import.meta.url).href;
  const codes = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ["--import", tsx, script], { stdio: ["ignore", "ignore", "inherit"] });
          child.on("exit", resolve);
        }),
    ),
  );
  assert.deepEqual(codes, [0, 0, 0]);
  assert.deepEqual(readdirSync(join(dir, id)), ["prepared"]);
  const fresh = tmp();
  await prepareTasks([id], fresh, () => {});
  assert.deepEqual(digest(join(dir, id)), digest(join(fresh, id)));
});
