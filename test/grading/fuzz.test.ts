import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Cell } from "../../src/io/csv.js";
import { gradeSubmission } from "../../src/grading/index.js";
import { Rng } from "../../src/util/random.js";
import { decodeNumber, runPython } from "../metrics/reference.js";
import { FACTS, validPair } from "./competitions.js";
import { REFERENCE_RULES } from "./reference-rules.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile, type CsvData } from "./fixtures.js";

// Randomly damaged submissions: our verdict (valid or not) and score must be those of MLE-bench's documented
// rules (reference/mlebench.md) applied with pandas semantics in Python — column checks, row counts, numeric
// conversion, [0, 1] ranges, row sums, id sorting and matching, and the metric raising on bad input.

const COMPETITIONS = Object.keys(FACTS).filter((c) => c !== "detecting-insults-in-social-commentary"); // insults: same rules as pizza
const CELLS = ["", "nan", "NA", "abc", "1.5", "-0.1", "0", "1", "0.5", "1e-3", " 0.25", "True", "inf", "2", "7", "3.0"];

type Mutation = (s: CsvData, rng: Rng) => void;

const MUTATIONS: Mutation[] = [
  (s, rng) => (s.rows[rng.int(s.rows.length)]![rng.int(s.header.length)] = rng.pick(CELLS)),
  (s, rng) => (s.rows[rng.int(s.rows.length)]![1 + rng.int(s.header.length - 1)] = rng.pick(CELLS)),
  (s, rng) => s.rows.splice(rng.int(s.rows.length), 1),
  (s, rng) => s.rows.push(s.rows[rng.int(s.rows.length)]!.slice()),
  (s, rng) => (s.rows[rng.int(s.rows.length)]![0] = s.rows[rng.int(s.rows.length)]![0]!),
  (s, rng) => {
    const order = rng.shuffle(s.header.map((_, j) => j));
    s.header = order.map((j) => s.header[j]!);
    s.rows = s.rows.map((r) => order.map((j) => r[j]!));
  },
  (s, rng) => (s.header[rng.int(s.header.length)] = rng.pick(["x", "id", "target", "EAP", "winner_tie"])),
  (s) => {
    s.header.push("extra");
    s.rows.forEach((r) => r.push(1));
  },
  (s, rng) => {
    const r = s.rows[rng.int(s.rows.length)]!;
    const f = 1 + rng.pick([1e-7, 1e-6, 2e-6, 9e-6, 1.2e-5, 3e-5, -4e-7, -2e-6]);
    for (let j = 1; j < r.length; j++) if (typeof r[j] === "number") r[j] = (r[j] as number) * f;
  },
  (s, rng) => {
    const j = 1 + rng.int(s.header.length - 1);
    s.rows.forEach((r) => (r[j] = rng.pick([0, 1, 0.5, "", "word"])));
  },
];

test("randomly damaged submissions get MLE-bench's verdict and score", (t) => {
  const rng = new Rng(2024);
  const dataDir = makeDataDir();
  const cases: { competition: string; submission: string; answers: string; valid: boolean; score: number | null; error: string | null }[] =
    [];
  for (const competition of COMPETITIONS) {
    const facts = FACTS[competition]!;
    const paths = taskPaths(dataDir, competition);
    const pair = validPair(competition, 500, 30);
    const answers = writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
    const spec = makeSpec(competition, facts);
    for (let k = 0; k < 25; k++) {
      const s: CsvData = { header: pair.submission.header.slice(), rows: pair.submission.rows.map((r) => r.slice() as Cell[]) };
      const times = k < 3 ? 0 : 1 + rng.int(2);
      for (let m = 0; m < times; m++) rng.pick(MUTATIONS)(s, rng);
      const submission = writeCsvFile(join(dataDir, `${competition}-${k}.csv`), s);
      const report = gradeSubmission(spec, paths, submission);
      cases.push({ competition, submission, answers, valid: report.valid_submission, score: report.score, error: report.error });
    }
  }
  const verdicts = runPython(
    FUZZ_REFERENCE,
    cases.map(({ competition, submission, answers }) => ({ competition, submission, answers })),
  ) as ({ valid: true; score: unknown } | { valid: false; why: string })[];
  let valid = 0;
  cases.forEach((c, i) => {
    const v = verdicts[i]!;
    const label = `${c.competition} case ${i} (${c.submission}): ours ${c.valid ? `valid ${c.score}` : `invalid: ${c.error}`}; reference ${v.valid ? `valid ${String(v.score)}` : `invalid: ${v.why}`}`;
    assert.equal(c.valid, v.valid, label);
    if (v.valid) {
      valid++;
      assert.equal(c.score, decodeNumber(v.score), label);
    } else {
      assert.ok(c.error && c.error.length > 10, `${label}: an invalid submission says why`);
    }
  });
  assert.ok(valid > 20 && valid < cases.length - 50, `both verdicts are exercised (${valid} valid of ${cases.length})`);
  t.diagnostic(`${cases.length} damaged submissions, ${valid} still valid; all verdicts and scores agree`);
});

const FUZZ_REFERENCE = `${REFERENCE_RULES}
out = []
for c in DATA:
    try:
        s = pd.read_csv(c["submission"], float_precision="round_trip")
        a = pd.read_csv(c["answers"], float_precision="round_trip")
        v = float(RULES[c["competition"]](s, a))
        if not math.isfinite(v):
            raise Invalid(f"score {v}")
        out.append({"valid": True, "score": round(v, 5)})
    except Exception as e:
        out.append({"valid": False, "why": f"{type(e).__name__}: {e}"[:200]})
print(json.dumps(enc(out)))
`;
