#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone: set-up, a check of the machine, then the whole method
# on the built-in tasks: train the built-in policy with asynchronous RL, evaluate it with the test-time procedure,
# run the AIDE-style and random-search baselines on the same number of executions, and write the report.
# Extra arguments go to `mlerl pipeline` (e.g. --train-minutes 3, or --out DIR to continue a stopped job).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bin/mlerl doctor
exec bin/mlerl pipeline "$@"
