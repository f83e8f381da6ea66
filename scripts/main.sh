#!/usr/bin/env bash
# The main job on the embedded default, from a fresh clone: set-up, the built-in tasks with a reference
# solution of each run through the sandbox and grader, then a short RL training run of the built-in policy.
# Extra arguments go to `mlerl train` (e.g. --minutes 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bin/mlerl doctor
echo "== reference solutions of the built-in tasks (sandbox + grader) ==" >&2
bin/mlerl reference --level baseline
echo "== training the built-in policy with asynchronous RL ==" >&2
exec bin/mlerl train "$@"
