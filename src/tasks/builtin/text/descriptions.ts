/** Competition pages of the built-in text tasks, shown to the agent as public/description.md. */

export const SPOOKY_DESCRIPTION = `# Spooky Author Identification (mini)

## Overview

Three novelists of the nineteenth century, one shelf, and a pile of loose sentences that have lost their covers.
Can you tell who wrote each one?

Every row of this competition is a single sentence taken from a novel by one of three authors. Your job is to
predict, for each sentence in the test set, the probability that each author wrote it.

This is a small, self-contained version of the Kaggle competition *Spooky Author Identification*. The files,
columns, author codes and the metric are the same as there, so a program written for one runs on the other.
The text here is different: the three authors are the Brontë sisters, whose novels are in the public domain.
The codes of the original competition are kept as class labels:

| code | author |
|---|---|
| \`EAP\` | Charlotte Brontë (*Jane Eyre*) |
| \`HPL\` | Emily Brontë (*Wuthering Heights*) |
| \`MWS\` | Anne Brontë (*Agnes Grey*, *The Tenant of Wildfell Hall*) |

The sisters grew up together and wrote in the same decade, so their vocabulary overlaps a great deal; word
choice, punctuation habits, dialect spellings and the names of characters all carry some signal.

## Evaluation

Submissions are scored with the multi-class logarithmic loss. Each sentence has exactly one true author. For each
sentence you submit a probability for every author; the score is

$$\\text{log loss} = -\\frac{1}{N} \\sum_{i=1}^{N} \\sum_{j=1}^{M} y_{ij} \\log(p_{ij})$$

where $N$ is the number of test sentences, $M = 3$ the number of authors, $y_{ij}$ is 1 if sentence $i$ was
written by author $j$ and 0 otherwise, and $p_{ij}$ is your predicted probability. Lower is better.

Each row of probabilities must sum to 1. Probabilities are clipped to $[\\epsilon, 1-\\epsilon]$ before the
logarithm is taken, so a confident wrong answer is costly but not infinitely so.

## Submission File

One row per test sentence, with the sentence's \`id\` and one probability column per author, in exactly this
header order:

\`\`\`
id,EAP,HPL,MWS
id07943,0.33,0.33,0.34
id04217,0.90,0.05,0.05
...
\`\`\`

## Dataset Description

- **train.csv** - the training sentences, with their author
- **test.csv** - the test sentences; predict their author
- **sample_submission.csv** - a submission in the correct format (the class frequencies of train.csv for every row)

### Columns

- \`id\` - a unique identifier for each sentence
- \`text\` - the sentence, in plain ASCII punctuation (\`"\` for quotes, \`--\` for a dash)
- \`author\` - the author of the sentence, one of \`EAP\`, \`HPL\`, \`MWS\` (train only)

Sentences were split automatically, so a few are fragments or run together two short sentences of dialogue.
`;

export const TWEETS_DESCRIPTION = `# Tweet Sentiment Extraction (mini)

## Overview

A tweet can be cheerful or furious in a handful of characters, but usually only a few of its words carry the
feeling. Knowing the label of a tweet is one thing; knowing *which words* earned it that label is another.

In this competition every tweet comes with its sentiment (\`positive\`, \`negative\` or \`neutral\`). Your task is
to pick out the part of the tweet - a word or a phrase - that supports that sentiment.

This is a small, self-contained version of the Kaggle competition *Tweet Sentiment Extraction*, with the same
files, columns and metric. The tweets are real public tweets (user names replaced by \`@anonymous\`) whose
sentiment was rated by human judges. The supporting phrases were marked the way annotators of the original
competition marked theirs: for neutral tweets nearly always the whole tweet, for positive and negative tweets a
short stretch of words around the expression that carries the feeling.

## Evaluation

The metric is the word-level Jaccard score, averaged over all test tweets:

\`\`\`python
def jaccard(str1, str2):
    a = set(str1.lower().split())
    b = set(str2.lower().split())
    c = a.intersection(b)
    return float(len(c)) / (len(a) + len(b) - len(c))
\`\`\`

$$\\text{score} = \\frac{1}{n} \\sum_{i=1}^{n} \\text{jaccard}(gt_i, dt_i)$$

where $gt_i$ is the selected text of tweet $i$ and $dt_i$ your prediction. Words are split on whitespace only, so
punctuation attached to a word counts as part of it. Higher is better.

## Submission File

For each \`textID\` in the test set, predict the string that best supports the given sentiment. Quote the string
and keep it complete, punctuation included. The file has a header and looks like:

\`\`\`
textID,selected_text
0a9b2c7e1f,"so happy"
5d3e8f0a2b,"I don't care"
77c1e0d4aa,"hate"
...
\`\`\`

## Dataset Description

- **train.csv** - the training set
- **test.csv** - the test set
- **sample_submission.csv** - a sample submission in the correct format (with empty predictions)

### Columns

- \`textID\` - unique ID for each tweet
- \`text\` - the text of the tweet
- \`sentiment\` - the general sentiment of the tweet
- \`selected_text\` - [train only] the text that supports the tweet's sentiment; always a contiguous run of whole
  words of \`text\`
`;
