import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { GRADERS, gradeSubmission, readTable, scoreTables, type GradeReport } from "../../src/grading/index.js";
import { UserError } from "../../src/errors.js";
import { decodeNumber, runPython } from "../metrics/reference.js";
import { FACTS, PY_REFERENCE, validPair, type Pair } from "./competitions.js";
import { makeDataDir, makeSpec, taskPaths, writeCsvFile, type CsvData } from "./fixtures.js";

const dataDir = makeDataDir();
let counter = 0;

interface Written {
  competition: string;
  report: GradeReport;
  raw: number | null;
  submission: string;
  answers: string;
}

/** Lay out `<dataDir>/<id>/prepared/{public,private}`, write the pair, grade it. */
function gradePair(competition: string, pair: Pair, rawSubmission?: string): Written {
  const facts = FACTS[competition]!;
  const id = `${competition}-${counter++}`;
  const paths = taskPaths(dataDir, id);
  const answers = writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
  const submission = join(dataDir, `${id}-submission.csv`);
  if (rawSubmission === undefined) writeCsvFile(submission, pair.submission);
  else writeFileSync(submission, rawSubmission);
  const spec = makeSpec(competition, facts, undefined, id);
  const report = gradeSubmission(spec, paths, submission);
  let raw: number | null = null;
  try {
    raw = scoreTables(spec, readTable(submission), readTable(answers)).rawScore;
  } catch {
    raw = null;
  }
  return { competition, report, raw, submission, answers };
}

function mutate(pair: Pair, f: (sub: CsvData) => void): Pair {
  const submission = { header: pair.submission.header.slice(), rows: pair.submission.rows.map((r) => r.slice()) };
  f(submission);
  return { answers: pair.answers, submission };
}

const col = (sub: CsvData, name: string) => {
  const j = sub.header.indexOf(name);
  assert.ok(j >= 0, `fixture has column ${name}`);
  return j;
};

test("the registry covers the 12 competitions of the paper", () => {
  assert.deepEqual(Object.keys(GRADERS).sort(), Object.keys(FACTS).sort());
  for (const [id, g] of Object.entries(GRADERS)) assert.equal(g.metric, FACTS[id]!.metric, id);
});

test("valid submissions score exactly as pandas + scikit-learn/scipy score them, for every competition", (t) => {
  const graded: Written[] = [];
  for (const competition of Object.keys(FACTS)) {
    for (const seed of [1, 2, 3]) graded.push(gradePair(competition, validPair(competition, seed * 7919, seed === 3 ? 250 : 60)));
  }
  // Variants that depend on reading CSVs the way pandas does.
  const may = validPair("tabular-playground-series-may-2022", 11);
  graded.push(
    gradePair(
      "tabular-playground-series-may-2022",
      mutate(may, (s) => s.rows.forEach((r) => (r[0] = `${r[0]}.0`))),
    ),
  ); // "900001.0" == 900001
  const dec = validPair("tabular-playground-series-dec-2021", 12);
  graded.push(
    gradePair(
      "tabular-playground-series-dec-2021",
      mutate(dec, (s) => {
        s.header.unshift("");
        s.rows.forEach((r, i) => {
          r.unshift(i); // a written index: an extra column, ignored
          r[2] = `${r[2]}.0`; // labels as floats compare equal to the integer classes
        });
      }),
    ),
  );
  const crlf = validPair("us-patent-phrase-to-phrase-matching", 13);
  const text = `\ufeff${[crlf.submission.header.join(","), ...crlf.submission.rows.map((r) => r.join(","))].join("\r\n")}\r\n`;
  graded.push(gradePair("us-patent-phrase-to-phrase-matching", crlf, text)); // BOM and CRLF
  const tweet = validPair("tweet-sentiment-extraction", 14);
  const tweetNa = {
    answers: {
      header: tweet.answers.header,
      rows: tweet.answers.rows.map((r, i) => (i < 3 ? [r[0]!, r[1]!, ["NA", "null", "nan"][i]!, r[3]!] : r)),
    },
    submission: tweet.submission,
  };
  graded.push(
    gradePair(
      "tweet-sentiment-extraction",
      mutate(tweetNa, (s) => {
        const ids = tweetNa.answers.rows.slice(0, 3).map((r) => r[0]);
        s.rows.forEach((r) => {
          if (ids.includes(r[0] as string)) r[1] = "word"; // answers read as empty: Jaccard 0, still defined
        });
      }),
    ),
  );
  // Spans that pandas reads as numbers are compared as Python prints them ("1.50" -> "1.5", "007" -> "7").
  const numeric = validPair("tweet-sentiment-extraction", 17, 12);
  const numbers = ["1.5", "7", "100", "0.00001", "2e16", "3", "12.25", "8", "1.5", "9", "10", "11"];
  const written = ["1.50", "7.0", "1e2", "1e-05", "20000000000000000", "3", "12.250", "8.5", "", "9", "10", "11"];
  const numericTweets = {
    answers: { header: numeric.answers.header, rows: numeric.answers.rows.map((r, i) => [r[0]!, r[1]!, numbers[i]!, r[3]!]) },
    submission: {
      header: numeric.submission.header,
      rows: numeric.answers.rows.map((r, i): (string | number)[] => [r[0] as string, written[i]!]),
    },
  };
  graded.push(gradePair("tweet-sentiment-extraction", numericTweets));
  graded.push(
    gradePair("tweet-sentiment-extraction", {
      answers: {
        header: numericTweets.answers.header,
        rows: numericTweets.answers.rows.map((r, i) => [r[0]!, r[1]!, String(i + 1), r[3]!]),
      },
      submission: { header: numericTweets.submission.header, rows: numericTweets.submission.rows.map((r, i) => [r[0]!, `00${i + 1}`]) },
    }),
  );
  const pizza = validPair("random-acts-of-pizza", 15);
  graded.push(
    gradePair(
      "random-acts-of-pizza",
      mutate(pizza, (s) => s.rows.forEach((r) => (r[1] = (r[1] as number) > 0.5 ? "True" : "False"))),
    ),
  );
  const nomad = validPair("nomad2018-predict-transparent-conductors", 16);
  graded.push(
    gradePair(
      "nomad2018-predict-transparent-conductors",
      mutate(nomad, (s) => {
        s.header.shift(); // rows are positional: no id column needed
        s.rows.forEach((r) => r.shift());
      }),
    ),
  );

  const reference = runPython(
    PY_REFERENCE,
    graded.map((g) => ({ competition: g.competition, submission: g.submission, answers: g.answers })),
  ) as {
    score?: unknown;
    rounded?: unknown;
    error?: string;
  }[];
  let worst = 0;
  graded.forEach((g, i) => {
    const ref = reference[i]!;
    assert.equal(ref.error, undefined, `${g.competition}: the Python reference failed: ${ref.error}`);
    assert.equal(g.report.error, null, `${g.competition}: ${g.report.error}`);
    assert.equal(g.report.valid_submission, true);
    assert.equal(g.report.submission_exists, true);
    const diff = Math.abs((g.raw as number) - decodeNumber(ref.score));
    worst = Math.max(worst, diff);
    assert.ok(diff <= 1e-9, `${g.competition}: ours ${g.raw}, reference ${ref.score}`);
    assert.equal(g.report.score, decodeNumber(ref.rounded), `${g.competition}: reported score is the reference rounded to 5 decimals`);
  });
  t.diagnostic(
    `${graded.length} submissions over ${Object.keys(FACTS).length} competitions; max |ours - reference| ${worst.toExponential(2)}`,
  );
});

interface InvalidCase {
  competition: string;
  what: string;
  change: (sub: CsvData, answers: CsvData) => void;
  error: RegExp;
}

const INVALID: InvalidCase[] = [
  {
    competition: "tabular-playground-series-may-2022",
    what: "missing target column",
    change: (s) => (s.header[1] = "prediction"),
    error: /no column 'target'.*header is 'id', 'prediction'/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "a row too few",
    change: (s) => s.rows.pop(),
    error: /59 data rows but the test set has 60/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "probability above 1",
    change: (s) => (s.rows[4]![1] = 1.2),
    error: /column 'target', row 5 \(id \d+\): 1\.2 is outside \[0, 1\]/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "text in a number column",
    change: (s) => (s.rows[2]![1] = "high"),
    error: /row 3 \(id \d+\): "high" is not a number/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "empty prediction",
    change: (s) => (s.rows[7]![1] = null),
    error: /row 8 \(id \d+\): the value is missing/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "NaN prediction",
    change: (s) => (s.rows[7]![1] = "nan"),
    error: /row 8 .*missing/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "unknown id",
    change: (s) => (s.rows[9]![0] = 5),
    error: /ids that are not in the test set: row 10 has "5"/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "duplicate id",
    change: (s) => (s.rows[9]![0] = s.rows[3]![0]!),
    error: /repeats ids: "\d+" in rows 4, 10/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "one text id among numeric ids",
    change: (s) => (s.rows[6]![0] = "id_x"),
    error: /ids that are not in the test set \(the test ids are numbers, the submission's are text\): row 7 has "id_x";/,
  },
  {
    competition: "tabular-playground-series-may-2022",
    what: "text ids for numeric ids",
    change: (s) => s.rows.forEach((r) => (r[0] = `id_${r[0]}`)),
    error: /test ids are numbers, the submission's are text/,
  },
  {
    competition: "tabular-playground-series-dec-2021",
    what: "fractional class",
    change: (s) => (s.rows[0]![1] = 2.5),
    error: /column 'Cover_Type', row 1 \(Id \d+\): "2\.5" is not a class label/,
  },
  {
    competition: "tabular-playground-series-dec-2021",
    what: "class name",
    change: (s) => (s.rows[1]![1] = "Spruce"),
    error: /row 2 .*"Spruce" is not a class label/,
  },
  {
    competition: "learning-agency-lab-automated-essay-scoring-2",
    what: "non-integer score",
    change: (s) => (s.rows[3]![1] = 3.5),
    error: /column 'score', row 4 \(essay_id \w+\): "3\.5" is not an integer label/,
  },
  {
    competition: "learning-agency-lab-automated-essay-scoring-2",
    what: "a missing essay",
    change: (s) => s.rows.pop(),
    error: /no row for 1 test id in 'essay_id'/,
  },
  {
    competition: "us-patent-phrase-to-phrase-matching",
    what: "constant predictions",
    change: (s) => s.rows.forEach((r) => (r[1] = 0.5)),
    error: /every 'score' prediction is 0\.5: Pearson r is undefined/,
  },
  {
    competition: "plant-pathology-2020-fgvc7",
    what: "written index column",
    change: (s) => {
      s.header.unshift("");
      s.rows.forEach((r, i) => r.unshift(i));
    },
    error: /extra column 'Unnamed: 0'.*index=False/,
  },
  {
    competition: "plant-pathology-2020-fgvc7",
    what: "missing class column",
    change: (s) => {
      const j = col(s, "scab");
      s.header.splice(j, 1);
      s.rows.forEach((r) => r.splice(j, 1));
    },
    error: /missing column 'scab'/,
  },
  {
    competition: "plant-pathology-2020-fgvc7",
    what: "infinite score",
    change: (s) => (s.rows[0]![1] = "inf"),
    error: /column 'scab', row 1 \(image_id Test_\d+\): inf is not a finite number/,
  },
  {
    competition: "leaf-classification",
    what: "extra column",
    change: (s) => {
      s.header.push("notes");
      s.rows.forEach((r) => r.push("x"));
    },
    error: /exactly the columns .*extra column 'notes'/,
  },
  {
    competition: "leaf-classification",
    what: "row not summing to 1",
    change: (s) => (s.rows[5] = s.rows[5]!.map((v, j) => (j === 0 ? v : (v as number) * 0.9))),
    error: /row 6 \(id \d+\): the probabilities sum to 0\.9\d*, not within 1e-5 of 1; normalise/,
  },
  {
    competition: "leaf-classification",
    what: "negative probability",
    change: (s) => {
      const r = s.rows[2]!;
      r[1] = (r[1] as number) + 0.5;
      r[2] = (r[2] as number) - 0.5;
    },
    error: /row 3 \(id \d+\): -?[\d.e-]+ is outside \[0, 1\]/,
  },
  {
    competition: "spooky-author-identification",
    what: "id not first",
    change: (s) => {
      s.header = ["EAP", "id", "HPL", "MWS"];
      s.rows.forEach((r) => ([r[0], r[1]] = [r[1]!, r[0]!]));
    },
    error: /header must be 'id' followed by the 3 class columns/,
  },
  {
    competition: "spooky-author-identification",
    what: "extra column",
    change: (s) => {
      s.header.push("author");
      s.rows.forEach((r) => r.push("EAP"));
    },
    error: /and nothing else; it is id, EAP, HPL, MWS, author/,
  },
  {
    competition: "lmsys-chatbot-arena",
    what: "sum off in the 6th decimal",
    change: (s) => (s.rows[0] = [s.rows[0]![0]!, 0.5, 0.3, 0.200001]),
    error: /row 1 \(id \d+\): the probabilities sum to 1\.000001\d*, not 1 when rounded to 6 decimals/,
  },
  {
    competition: "lmsys-chatbot-arena",
    what: "missing class column",
    change: (s) => {
      s.header[3] = "tie";
    },
    error: /no column 'winner_tie'/,
  },
  {
    competition: "nomad2018-predict-transparent-conductors",
    what: "negative prediction",
    change: (s) => (s.rows[4]![2] = -0.01),
    error: /column 'bandgap_energy_ev', row 5 \(id 5\): -0\.01 is negative; .*clip/,
  },
  {
    competition: "nomad2018-predict-transparent-conductors",
    what: "missing target",
    change: (s) => {
      s.header.pop();
      s.rows.forEach((r) => r.pop());
    },
    error: /no column 'bandgap_energy_ev'/,
  },
  {
    competition: "tweet-sentiment-extraction",
    what: "both spans empty",
    change: (s, a) => {
      a.rows[0]![2] = "";
      s.rows.find((r) => r[0] === a.rows[0]![0])![1] = "";
    },
    error: /column 'selected_text', row \d+ \(textID \w+\): the prediction is empty and so is the answer/,
  },
  {
    competition: "tweet-sentiment-extraction",
    what: "both spans read as missing (nan / null)",
    change: (s, a) => {
      a.rows[1]![2] = "nan";
      s.rows.find((r) => r[0] === a.rows[1]![0])![1] = "null";
    },
    error: /prediction is empty and so is the answer/,
  },
  { competition: "tweet-sentiment-extraction", what: "no id column", change: (s) => (s.header[0] = "id"), error: /no column 'textID'/ },
  {
    competition: "detecting-insults-in-social-commentary",
    what: "edited comment text",
    change: (s) => (s.rows[0]![2] = `${s.rows[0]![2]} `),
    error: /column 'Comment' holds ids that are not in the test set: row 1 has/,
  },
];

test("each validation rule rejects a submission with an error naming the column, row and id", () => {
  for (const c of INVALID) {
    const base = validPair(c.competition, 99);
    const answers = { header: base.answers.header, rows: base.answers.rows.map((r) => r.slice()) };
    const submission = { header: base.submission.header.slice(), rows: base.submission.rows.map((r) => r.slice()) };
    c.change(submission, answers);
    const { report } = gradePair(c.competition, { answers, submission });
    assert.equal(report.valid_submission, false, `${c.competition} / ${c.what}: should be invalid`);
    assert.equal(report.score, null);
    assert.equal(report.submission_exists, true);
    assert.equal(report.any_medal, false);
    assert.match(report.error ?? "", c.error, `${c.competition} / ${c.what}`);
  }
});

test("unreadable, missing and non-CSV submissions are reported, not thrown", () => {
  const competition = "tabular-playground-series-may-2022";
  const pair = validPair(competition, 5);
  // A longer first data row would be an implicit index (table.test.ts); a longer later row is an error, as in pandas.
  const ragged = gradePair(competition, pair, "id,target\n900000,0.5\n900001,0.5,0.1\n");
  assert.match(ragged.report.error ?? "", /data row 2 \(line 3\) has 3 fields but 2, as many as the header/);
  assert.equal(ragged.report.submission_exists, true);
  const empty = gradePair(competition, pair, "");
  assert.match(empty.report.error ?? "", /empty/);
  const facts = FACTS[competition]!;
  const paths = taskPaths(dataDir, "missing-file");
  writeCsvFile(join(paths.privateDir, facts.answersFile), pair.answers);
  const spec = makeSpec(competition, facts, undefined, "missing-file");
  const missing = gradeSubmission(spec, paths, join(dataDir, "nope.csv"));
  assert.equal(missing.submission_exists, false);
  assert.equal(missing.valid_submission, false);
  assert.match(missing.error ?? "", /no submission file at .*nope\.csv/);
  const txt = writeCsvFile(join(dataDir, "submission.txt"), pair.submission);
  const notCsv = gradeSubmission(spec, paths, txt);
  assert.equal(notCsv.submission_exists, false);
  assert.match(notCsv.error ?? "", /not a \.csv file/);
});

test("row-sum tolerances match numpy.isclose(atol=1e-6) for spooky and pandas round(6) for lmsys at the boundary", () => {
  const deltas = [0, 4e-7, 9e-7, 1.05e-6, 2e-6, 5e-6, 1.09e-5, 1.12e-5, 2e-5, -4.9e-7, -5.1e-7, -1.05e-5, -1.2e-5];
  const cases: { competition: string; submission: string; answers: string; valid: boolean }[] = [];
  for (const competition of ["spooky-author-identification", "lmsys-chatbot-arena"]) {
    for (const delta of deltas) {
      const base = validPair(competition, 3, 8);
      const pair = mutate(base, (s) => (s.rows[0] = [s.rows[0]![0]!, 0.25, 0.5, 0.25 + delta]));
      const g = gradePair(competition, pair);
      cases.push({ competition, submission: g.submission, answers: g.answers, valid: g.report.valid_submission });
    }
  }
  const verdicts = runPython(
    `
import numpy as np, pandas as pd
out = []
for c in DATA:
    s = pd.read_csv(c["submission"], float_precision="round_trip")
    if c["competition"] == "spooky-author-identification":
        out.append(bool(np.all(np.isclose(s.iloc[:, 1:].sum(axis=1), 1, atol=1e-6))))
    else:
        out.append(bool(s[["winner_model_a", "winner_model_b", "winner_tie"]].sum(axis=1).round(6).eq(1).all()))
print(json.dumps(out))
`,
    cases,
  ) as boolean[];
  cases.forEach((c, i) => assert.equal(c.valid, verdicts[i], `${c.competition} delta ${deltas[i % deltas.length]}`));
  assert.ok(verdicts.includes(true) && verdicts.includes(false), "both sides of the boundary were exercised");
});

test("a task whose competition has no registered grader is graded from its spec's metric and columns", () => {
  const pair = validPair("tabular-playground-series-may-2022", 31);
  const known = gradePair("tabular-playground-series-may-2022", pair);
  const paths = taskPaths(dataDir, "custom-binary");
  writeCsvFile(join(paths.privateDir, "test.csv"), pair.answers);
  const submission = writeCsvFile(join(dataDir, "custom.csv"), pair.submission);
  const spec = makeSpec("some-other-competition", FACTS["tabular-playground-series-may-2022"]!, undefined, "custom-binary");
  const report = gradeSubmission(spec, paths, submission);
  assert.equal(report.score, known.report.score);
  const bad = writeCsvFile(join(dataDir, "custom-bad.csv"), mutate(pair, (s) => (s.rows[0]![1] = -1)).submission);
  assert.match(gradeSubmission(spec, paths, bad).error ?? "", /column 'target', row 1 .*outside \[0, 1\]/);
});

test("broken answers are a user error that says how to re-prepare, not an invalid submission", () => {
  const pair = validPair("tabular-playground-series-may-2022", 32);
  const paths = taskPaths(dataDir, "broken-answers");
  writeCsvFile(join(paths.privateDir, "test.csv"), { header: ["id", "label"], rows: pair.answers.rows });
  const submission = writeCsvFile(join(dataDir, "broken.csv"), pair.submission);
  const spec = makeSpec("tabular-playground-series-may-2022", FACTS["tabular-playground-series-may-2022"]!, undefined, "broken-answers");
  assert.throws(
    () => gradeSubmission(spec, paths, submission),
    (e: unknown) =>
      e instanceof UserError &&
      /has no column 'target'/.test(e.message) &&
      /mlebench prepare -c tabular-playground-series-may-2022/.test(e.hint ?? ""),
  );
  const noAnswers = makeSpec("tabular-playground-series-may-2022", FACTS["tabular-playground-series-may-2022"]!, undefined, "no-answers");
  assert.throws(
    () => gradeSubmission(noAnswers, taskPaths(dataDir, "no-answers"), submission),
    (e: unknown) => e instanceof UserError && /does not exist/.test(e.message),
  );
});
