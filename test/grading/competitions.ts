import type { Cell } from "../../src/io/csv.js";
import { Rng } from "../../src/util/random.js";
import type { CompetitionFacts, CsvData } from "./fixtures.js";

/** The 12 competitions' facts (reference/mlebench.md), as a registry would declare them. */
export const FACTS: Record<string, CompetitionFacts> = {
  "detecting-insults-in-social-commentary": {
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "Comment",
    submissionColumns: ["Comment", "Insult", "Date"],
    answersFile: "test.csv",
  },
  "learning-agency-lab-automated-essay-scoring-2": {
    metric: "quadratic_weighted_kappa",
    lowerIsBetter: false,
    idColumn: "essay_id",
    submissionColumns: ["essay_id", "score"],
    answersFile: "answers.csv",
  },
  "random-acts-of-pizza": {
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "request_id",
    submissionColumns: ["request_id", "requester_received_pizza"],
    answersFile: "test.csv",
  },
  "tweet-sentiment-extraction": {
    metric: "word_jaccard",
    lowerIsBetter: false,
    idColumn: "textID",
    submissionColumns: ["textID", "selected_text"],
    answersFile: "test.csv",
  },
  "tabular-playground-series-may-2022": {
    metric: "roc_auc",
    lowerIsBetter: false,
    idColumn: "id",
    submissionColumns: ["id", "target"],
    answersFile: "test.csv",
  },
  "tabular-playground-series-dec-2021": {
    metric: "accuracy",
    lowerIsBetter: false,
    idColumn: "Id",
    submissionColumns: ["Id", "Cover_Type"],
    answersFile: "test.csv",
  },
  "us-patent-phrase-to-phrase-matching": {
    metric: "pearson",
    lowerIsBetter: false,
    idColumn: "id",
    submissionColumns: ["id", "score"],
    answersFile: "test.csv",
  },
  "plant-pathology-2020-fgvc7": {
    metric: "mean_column_roc_auc",
    lowerIsBetter: false,
    idColumn: "image_id",
    submissionColumns: ["image_id", "healthy", "multiple_diseases", "rust", "scab"],
    answersFile: "test.csv",
  },
  "leaf-classification": {
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", ...leafClasses()],
    answersFile: "test.csv",
  },
  "nomad2018-predict-transparent-conductors": {
    metric: "mean_column_rmsle",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "formation_energy_ev_natom", "bandgap_energy_ev"],
    answersFile: "test.csv",
  },
  "spooky-author-identification": {
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "EAP", "HPL", "MWS"],
    answersFile: "test.csv",
  },
  "lmsys-chatbot-arena": {
    metric: "multiclass_log_loss",
    lowerIsBetter: true,
    idColumn: "id",
    submissionColumns: ["id", "winner_model_a", "winner_model_b", "winner_tie"],
    answersFile: "answers.csv",
  },
};

export function leafClasses(): string[] {
  return Array.from({ length: 99 }, (_, i) => `Species_${String(i + 1).padStart(2, "0")}`);
}

export interface Pair {
  answers: CsvData;
  submission: CsvData;
}

const WORDS = ["good", "Bad", "day", "so", "sad", "it's", "ok!", "love", "this", "NOT", "happy", "naïve", "😀", "well,", '"quoted"'];

function softmaxRow(rng: Rng, k: number, hot: number, sharp: number): number[] {
  const logits = Array.from({ length: k }, (_, j) => rng.normal() + (j === hot ? sharp : 0));
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function hexId(rng: Rng, len = 10): string {
  return Array.from({ length: len }, () => "0123456789abcdef"[rng.int(16)]).join("");
}

function shuffled<T>(rng: Rng, rows: T[]): T[] {
  return rng.shuffle(rows.slice());
}

/** A realistic answers file and a valid (shuffled, where ids allow) submission for each competition. */
export function validPair(competition: string, seed: number, n = 60): Pair {
  const rng = new Rng(seed);
  const p = () => Number(rng.next().toFixed(rng.pick([1, 2, 17])));
  switch (competition) {
    case "detecting-insults-in-social-commentary": {
      const comments = Array.from(
        { length: n },
        (_, i) => `"${rng.pick(WORDS)}, ${rng.pick(WORDS)}\\n${i % 9 === 0 ? "line\nbreak" : ""} #${i}"`,
      );
      comments[3] = comments[5] as string; // duplicate comments exist in the real data
      const y = comments.map((_, i) => (i % 3 === 0 ? 1 : 0));
      y[3] = 1;
      y[5] = 0;
      const answers = {
        header: ["Insult", "Date", "Comment", "Usage"],
        rows: comments.map((c, i) => [y[i] as number, i % 4 ? `2012061${i % 10}000000Z` : null, c, "PrivateTest"]),
      };
      const submission = {
        header: ["Insult", "Date", "Comment"],
        rows: shuffled(
          rng,
          comments.map((c, i): Cell[] => [Math.min(1, p() * 0.7 + (y[i] as number) * 0.3), null, c]),
        ),
      };
      return { answers, submission };
    }
    case "learning-agency-lab-automated-essay-scoring-2": {
      const ids = Array.from({ length: n }, () => hexId(rng, 7));
      const truth = ids.map(() => 1 + rng.int(6));
      const answers = { header: ["essay_id", "full_text", "score"], rows: ids.map((id, i) => [id, "An essay.", truth[i] as number]) };
      const submission = {
        header: ["essay_id", "score"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, Math.max(1, Math.min(6, (truth[i] as number) + rng.pick([-1, 0, 0, 1])))]),
        ),
      };
      return { answers, submission };
    }
    case "random-acts-of-pizza": {
      const ids = Array.from({ length: n }, (_, i) => `t3_${hexId(rng, 5)}${i}`);
      const y = ids.map(() => rng.next() < 0.3);
      const answers = { header: ["request_id", "requester_received_pizza"], rows: ids.map((id, i) => [id, y[i] ? "True" : "False"]) };
      const submission = {
        header: ["request_id", "requester_received_pizza"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, y[i] ? Math.min(1, p() + 0.2) : p()]),
        ),
      };
      return { answers, submission };
    }
    case "tweet-sentiment-extraction": {
      const ids = Array.from({ length: n }, () => hexId(rng));
      const sentence = () => Array.from({ length: 1 + rng.int(5) }, () => rng.pick(WORDS)).join(rng.pick([" ", "  ", " \t"]));
      const truth = ids.map(sentence);
      const pred = truth.map((t, i) => (i % 7 === 0 ? "" : i % 2 ? t.toUpperCase() : sentence()));
      const answers = {
        header: ["textID", "text", "selected_text", "sentiment"],
        rows: ids.map((id, i) => [id, `${truth[i]} and more`, truth[i] as string, "neutral"]),
      };
      const submission = {
        header: ["textID", "selected_text"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, pred[i] as string]),
        ),
      };
      return { answers, submission };
    }
    case "tabular-playground-series-may-2022": {
      const ids = Array.from({ length: n }, (_, i) => 900000 + i);
      const y = ids.map(() => (rng.next() < 0.5 ? 1 : 0));
      const answers = { header: ["id", "target"], rows: ids.map((id, i) => [id, y[i] as number]) };
      const submission = {
        header: ["id", "target"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, Number((0.4 * p() + 0.6 * (y[i] as number) * rng.next()).toFixed(2))]),
        ),
      };
      return { answers, submission };
    }
    case "tabular-playground-series-dec-2021": {
      const ids = Array.from({ length: n }, (_, i) => 4000000 + i * 3);
      const y = ids.map(() => 1 + rng.int(7));
      const answers = { header: ["Id", "Cover_Type"], rows: ids.map((id, i) => [id, y[i] as number]) };
      const submission = {
        header: ["Id", "Cover_Type"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, rng.next() < 0.7 ? (y[i] as number) : 1 + rng.int(7)]),
        ),
      };
      return { answers, submission };
    }
    case "us-patent-phrase-to-phrase-matching": {
      const ids = Array.from({ length: n }, () => hexId(rng, 16));
      const y = ids.map(() => rng.pick([0, 0.25, 0.5, 0.75, 1]));
      const answers = {
        header: ["id", "anchor", "target", "context", "score"],
        rows: ids.map((id, i) => [id, "abatement", "act of abating", "A47", y[i] as number]),
      };
      const submission = {
        header: ["id", "score"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, (y[i] as number) * 0.8 + rng.normal() * 0.2]),
        ),
      };
      return { answers, submission };
    }
    case "plant-pathology-2020-fgvc7": {
      const classes = ["healthy", "multiple_diseases", "rust", "scab"];
      const ids = Array.from({ length: n }, (_, i) => `Test_${i}`);
      const y = ids.map((_, i) => (i < 4 ? i : rng.int(4)));
      const answers = { header: ["image_id", ...classes], rows: ids.map((id, i) => [id, ...classes.map((_, j) => (j === y[i] ? 1 : 0))]) };
      // Scores need not be probabilities here: no [0, 1] check for this competition.
      const submission = {
        header: ["image_id", "scab", "rust", "multiple_diseases", "healthy"],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, ...[3, 2, 1, 0].map((j) => rng.normal() + (j === y[i] ? 1.5 : 0))]),
        ),
      };
      return { answers, submission };
    }
    case "leaf-classification": {
      const classes = leafClasses();
      const ids = Array.from({ length: n }, (_, i) => 2 + i * 3);
      const y = ids.map(() => rng.int(99));
      const answers = { header: ["id", ...classes], rows: ids.map((id, i) => [id, ...classes.map((_, j) => (j === y[i] ? 1 : 0))]) };
      const order = rng.shuffle(classes.map((_, j) => j));
      const submission = {
        header: ["id", ...order.map((j) => classes[j] as string)],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => {
            const probs = softmaxRow(rng, 99, y[i] as number, 3);
            if (i === 0) probs.fill(0).splice(y[i] as number, 1, 1); // a confident row: exercises the clipping
            return [id, ...order.map((j) => probs[j] as number)];
          }),
        ),
      };
      return { answers, submission };
    }
    case "nomad2018-predict-transparent-conductors": {
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      const fe = ids.map(() => Math.abs(rng.normal()) * 0.1);
      const bg = ids.map(() => Math.abs(rng.normal()) * 2 + 0.5);
      const answers = {
        header: ["id", "formation_energy_ev_natom", "bandgap_energy_ev"],
        rows: ids.map((id, i) => [id, fe[i] as number, bg[i] as number]),
      };
      const submission = {
        header: ["id", "formation_energy_ev_natom", "bandgap_energy_ev"],
        rows: ids.map((id, i): Cell[] => [
          id,
          i % 10 === 0 ? 0 : Math.abs((fe[i] as number) + rng.normal() * 0.02),
          Math.abs((bg[i] as number) + rng.normal() * 0.2),
        ]),
      };
      return { answers, submission };
    }
    case "spooky-author-identification": {
      const authors = ["EAP", "HPL", "MWS"];
      const ids = Array.from({ length: n }, () => `id${String(rng.int(99999)).padStart(5, "0")}`);
      const unique = [...new Set(ids)];
      const y = unique.map(() => rng.int(3));
      const answers = { header: ["id", ...authors], rows: unique.map((id, i) => [id, ...authors.map((_, j) => (j === y[i] ? 1 : 0))]) };
      const submission = {
        header: ["id", ...authors],
        rows: shuffled(
          rng,
          unique.map((id, i): Cell[] => {
            const probs = softmaxRow(rng, 3, y[i] as number, 1).map((v) => Number(v.toFixed(6))); // rounded: sums off by ~1e-6
            return [id, ...probs];
          }),
        ),
      };
      return { answers, submission };
    }
    case "lmsys-chatbot-arena": {
      const classes = ["winner_model_a", "winner_model_b", "winner_tie"];
      const ids = Array.from({ length: n }, (_, i) => 1000 + i * 7);
      const y = ids.map(() => rng.int(3));
      const answers = {
        header: ["id", "model_a", "model_b", "prompt", ...classes],
        rows: ids.map((id, i) => [id, "gpt-4", "llama", `["Why, ${i}?"]`, ...classes.map((_, j) => (j === y[i] ? 1 : 0))]),
      };
      const submission = {
        header: ["id", ...classes],
        rows: shuffled(
          rng,
          ids.map((id, i): Cell[] => [id, ...softmaxRow(rng, 3, y[i] as number, 0.7).map((v) => Number(v.toFixed(8)))]),
        ),
      };
      return { answers, submission };
    }
  }
  throw new Error(`no generator for ${competition}`);
}

/**
 * An independent scorer in Python: pandas reads both files (round-trip floats, as MLE-bench does), rows are
 * aligned by sorting on the id column (by position for nomad), and scikit-learn / scipy compute the metric.
 */
export const PY_REFERENCE = `
import numpy as np, pandas as pd
from sklearn.metrics import roc_auc_score, accuracy_score, log_loss, root_mean_squared_log_error, cohen_kappa_score
from scipy.stats import pearsonr

def read(p):
    return pd.read_csv(p, float_precision="round_trip")

def aligned(s, a, key):
    s = s.sort_values(key, kind="stable").reset_index(drop=True)
    a = a.sort_values(key, kind="stable").reset_index(drop=True)
    if not (s[key].values == a[key].values).all():
        raise ValueError("ids differ")
    return s, a

def jac(x, y):
    x = set(x.lower().split()); y = set(y.lower().split()); c = x & y
    return len(c) / (len(x) + len(y) - len(c))

def score(comp, sub, ans):
    s, a = read(sub), read(ans)
    if comp in ("detecting-insults-in-social-commentary", "random-acts-of-pizza", "tabular-playground-series-may-2022"):
        key, col = {"detecting-insults-in-social-commentary": ("Comment", "Insult"), "random-acts-of-pizza": ("request_id", "requester_received_pizza"), "tabular-playground-series-may-2022": ("id", "target")}[comp]
        s, a = aligned(s, a, key)
        return roc_auc_score(a[col].to_numpy(), s[col].to_numpy())
    if comp == "learning-agency-lab-automated-essay-scoring-2":
        s, a = aligned(s, a, "essay_id")
        return cohen_kappa_score(s["score"].values, a["score"].values, weights="quadratic")
    if comp == "tweet-sentiment-extraction":
        s, a = aligned(s, a, "textID")
        p = s["selected_text"].fillna("").astype(str); t = a["selected_text"].fillna("").astype(str)
        return float(np.mean([jac(x, y) for x, y in zip(p, t)]))
    if comp == "tabular-playground-series-dec-2021":
        s, a = aligned(s, a, "Id")
        return accuracy_score(a["Cover_Type"].to_numpy(), s["Cover_Type"].to_numpy())
    if comp == "us-patent-phrase-to-phrase-matching":
        s, a = aligned(s, a, "id")
        return pearsonr(a["score"].to_numpy(), s["score"].to_numpy())[0]
    if comp == "plant-pathology-2020-fgvc7":
        s, a = aligned(s, a, "image_id")
        return float(np.mean([roc_auc_score(a[c], s[c]) for c in ["healthy", "multiple_diseases", "rust", "scab"]]))
    if comp in ("leaf-classification", "spooky-author-identification", "lmsys-chatbot-arena"):
        classes = [c for c in a.columns if c != "id"] if comp != "lmsys-chatbot-arena" else ["winner_model_a", "winner_model_b", "winner_tie"]
        s, a = aligned(s, a, "id")
        return log_loss(a[classes].to_numpy(), s[classes].to_numpy())
    if comp == "nomad2018-predict-transparent-conductors":
        cols = ["formation_energy_ev_natom", "bandgap_energy_ev"]
        return (root_mean_squared_log_error(a[cols[0]], s[cols[0]]) + root_mean_squared_log_error(a[cols[1]], s[cols[1]])) / 2
    raise KeyError(comp)

out = []
for c in DATA:
    try:
        v = float(score(c["competition"], c["submission"], c["answers"]))
        out.append({"score": v, "rounded": round(v, 5)})
    except Exception as e:
        out.append({"error": f"{type(e).__name__}: {e}"})
print(json.dumps(enc(out)))
`;
