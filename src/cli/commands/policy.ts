import type { Command } from "commander";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UserError } from "../../errors.js";
import { FRAGMENTS } from "../../policy/fragments.js";
import { FragmentPolicy, FragmentSampler, DEFAULT_POLICY } from "../../policy/fragment-policy.js";
import { fragmentNames, renderProgram } from "../../policy/render.js";
import { Vocabulary } from "../../policy/vocab.js";
import { outcomeLabel, summarizeSurvey, surveyPolicy } from "../../run/survey.js";
import { createExecutor } from "../../sandbox/index.js";
import { getTask, requirePrepared } from "../../tasks/registry.js";
import { readNumber } from "../flags.js";
import { dataDirOf } from "../options.js";

async function openPolicy(opts: { checkpoint?: string; initSeed?: string; prior?: string }): Promise<FragmentPolicy> {
  if (opts.checkpoint) {
    if (opts.prior !== undefined)
      throw new UserError("--prior applies to a fresh policy only (a checkpoint keeps its own prior)", "drop --prior or --checkpoint");
    return (await FragmentPolicy.load(resolve(opts.checkpoint))).policy;
  }
  return FragmentPolicy.create({
    seed: opts.initSeed === undefined ? 0 : readNumber("--init-seed", opts.initSeed, { int: true, min: 0 }),
    priorMode: priorOf(opts.prior),
  });
}

function priorOf(value: string | undefined): "mask" | "soft" {
  if (value === undefined || value === "mask" || value === "soft") return value ?? "mask";
  throw new UserError(`--prior '${value}' is not a prior`, "use --prior mask (well-formed programs only, the default) or --prior soft");
}

const CHECKPOINT_HELP = "policy checkpoint directory (default: a fresh random-init policy)";
const INIT_SEED_HELP = "weight-init seed of the fresh policy when no --checkpoint is given (default 0)";
const PRIOR_HELP =
  "how a fresh policy samples: mask (well-formed programs only, the default) or soft (unconstrained under a stage-order prior)";

export function definePolicy(policy: Command): void {
  policy
    .command("sample")
    .description("sample programs for a task from the built-in policy and print them")
    .requiredOption("--task <id>", "task id (see `mlerl tasks list`); needs a data schema")
    .option("--checkpoint <dir>", CHECKPOINT_HELP)
    .option("-n, --n <count>", "number of programs", "1")
    .option("--seed <seed>", "sampling seed (same seed, weights and task: same programs)", "0")
    .option("--init-seed <seed>", INIT_SEED_HELP)
    .option("--prior <mode>", PRIOR_HELP)
    .option("--json", "print JSON (fragments, token ids, behaviour logprobs, version, program) instead of the programs")
    .action(
      async (
        opts: { task: string; checkpoint?: string; n: string; seed: string; initSeed?: string; prior?: string; json?: boolean },
        cmd: Command,
      ) => {
        const n = readNumber("-n", opts.n, { int: true, min: 1 });
        const seed = readNumber("--seed", opts.seed, { int: true, min: 0 });
        const task = getTask(opts.task, dataDirOf(cmd));
        const p = await openPolicy(opts);
        const samples = await new FragmentSampler(p).sample(
          Array.from({ length: n }, () => ({ task, kind: "scratch" as const })),
          { seed },
        );
        if (opts.json) {
          const rows = samples.map((c) => ({
            fragments: fragmentNames(p.vocab, c.tokens),
            tokens: c.tokens,
            logprobs: c.logprobs,
            finished: c.finished,
            version: c.version,
            program: c.text,
          }));
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        } else {
          samples.forEach((c, i) => {
            const names = fragmentNames(p.vocab, c.tokens);
            const lp = c.logprobs.reduce((a, b) => a + b, 0);
            process.stdout.write(
              `### program ${i + 1}/${n} (policy version ${c.version}, log-prob ${lp.toFixed(2)}${c.finished ? "" : ", cut at the length limit"})\n`,
            );
            process.stdout.write(`### fragments: ${names.join(" ") || "(none)"}\n${c.text}\n`);
          });
        }
        p.dispose();
      },
    );

  policy
    .command("render")
    .description("print the program a given fragment sequence renders to for a task (no model involved)")
    .requiredOption("--task <id>", "task id (see `mlerl tasks list`); needs a data schema")
    .requiredOption("--fragments <names...>", "fragment names in program order (see `mlerl policy info`)")
    .action((opts: { task: string; fragments: string[] }, cmd: Command) => {
      const task = getTask(opts.task, dataDirOf(cmd));
      const vocab = new Vocabulary();
      const known = new Set(FRAGMENTS.map((f) => f.name));
      const names = opts.fragments.flatMap((f) => f.split(/[\s,]+/)).filter(Boolean);
      const unknown = names.filter((n) => !known.has(n));
      if (unknown.length) throw new UserError(`unknown fragment(s): ${unknown.join(", ")}`, "list the fragments with `mlerl policy info`");
      process.stdout.write(
        renderProgram(
          task,
          vocab,
          names.map((n) => vocab.id(n)),
        ),
      );
    });

  policy
    .command("init")
    .description("write a fresh random-init policy checkpoint (weights + config + version 0)")
    .requiredOption("--out <dir>", "checkpoint directory to create (replaced if it exists)")
    .option("--init-seed <seed>", "weight-init seed", "0")
    .option("--prior <mode>", PRIOR_HELP)
    .option("--prior-strength <x>", `logit bonus of well-formed continuations under --prior soft (default ${DEFAULT_POLICY.priorStrength})`)
    .action(async (opts: { out: string; initSeed: string; prior?: string; priorStrength?: string }) => {
      const p = await FragmentPolicy.create({
        seed: readNumber("--init-seed", opts.initSeed, { int: true, min: 0 }),
        priorMode: priorOf(opts.prior),
        ...(opts.priorStrength !== undefined ? { priorStrength: readNumber("--prior-strength", opts.priorStrength, { min: 0 }) } : {}),
      });
      p.save(resolve(opts.out));
      process.stdout.write(
        `wrote ${resolve(opts.out)}: ${p.parameterCount} parameters, vocabulary ${p.vocab.size} tokens (${p.vocab.outputSize} outputs)\n`,
      );
      p.dispose();
    });

  policy
    .command("info")
    .description("show the policy's size, vocabulary and fragment library")
    .option("--checkpoint <dir>", CHECKPOINT_HELP)
    .option("--json", "print JSON")
    .action(async (opts: { checkpoint?: string; json?: boolean }) => {
      const p = await openPolicy(opts);
      const info = {
        version: p.version,
        parameters: p.parameterCount,
        vocabulary: p.vocab.size,
        outputs: p.vocab.outputSize,
        config: p.config,
        fragments: FRAGMENTS.map((f) => ({ name: f.name, stage: f.stage, cost: f.cost, about: f.about })),
      };
      if (opts.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else {
        const c = p.config;
        process.stdout.write(
          `fragment LM, version ${info.version}: ${info.parameters} parameters (d=${c.dModel}, ${c.nLayers} layers, ${c.nHeads} heads, ff ${c.dFF}, context ${c.maxLen}), ` +
            `vocabulary ${info.vocabulary} tokens (${info.outputs} outputs), prior ${c.priorMode} ${c.priorMode === "soft" ? c.priorStrength : ""}\n`,
        );
        for (const f of info.fragments) process.stdout.write(`  ${f.name.padEnd(30)} cost ${f.cost}  ${f.about}\n`);
      }
      p.dispose();
    });

  policy
    .command("survey")
    .description("sample programs per task, run them in the sandbox, grade them and print where they end up (valid / fails at stage X)")
    .requiredOption("--task <id...>", "prepared task id(s)")
    .option("--checkpoint <dir>", CHECKPOINT_HELP)
    .option("-n, --n <count>", "programs per task", "24")
    .option("--seed <seed>", "sampling seed", "1")
    .option("--init-seed <seed>", INIT_SEED_HELP)
    .option("--prior <mode>", PRIOR_HELP)
    .option("--timeout <sec>", "wall-clock limit per program", "60")
    .option("--concurrency <k>", "programs run at once", "2")
    .option("--work-dir <dir>", "where run directories go (default: a new temporary directory)")
    .option("--json", "print every record as JSON")
    .action(
      async (
        opts: {
          task: string[];
          checkpoint?: string;
          n: string;
          seed: string;
          initSeed?: string;
          prior?: string;
          timeout: string;
          concurrency: string;
          workDir?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const dataDir = dataDirOf(cmd);
        const tasks = opts.task.map((id) => requirePrepared(id, dataDir));
        const p = await openPolicy(opts);
        const workDir = opts.workDir ? resolve(opts.workDir) : mkdtempSync(join(tmpdir(), "mlerl-survey-"));
        const records = await surveyPolicy({
          sampler: new FragmentSampler(p),
          tasks,
          n: readNumber("-n", opts.n, { int: true, min: 1 }),
          seed: readNumber("--seed", opts.seed, { int: true, min: 0 }),
          executor: createExecutor({ isolation: true }),
          limits: { timeoutSec: readNumber("--timeout", opts.timeout, { min: 1 }) },
          concurrency: readNumber("--concurrency", opts.concurrency, { int: true, min: 1 }),
          workDir,
          log: opts.json
            ? undefined
            : (r) => process.stderr.write(`${r.task} #${r.index}: ${outcomeLabel(r.outcome)} in ${r.wallSec.toFixed(1)} s\n`),
        });
        p.dispose();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
          return;
        }
        for (const [task, s] of summarizeSurvey(records)) {
          const counts = [...s.counts]
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join(", ");
          const best = s.scores.length ? ` best score ${Math.max(...s.scores)} / ${Math.min(...s.scores)} (max/min)` : "";
          process.stdout.write(
            `${task}: ${s.n} programs: ${counts}${s.scores.length ? `; valid ones ran ${s.meanValidSec.toFixed(1)} s on average;${best}` : ""}\n`,
          );
        }
        process.stdout.write(`run directories: ${workDir}\n`);
      },
    );
}
