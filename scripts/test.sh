#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, type check, then every test file with node's test runner.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh --tests
bin/mlerl setup --trainer  # the reference trainer's torch venv, cached by hash (its tests start the real server)
echo "[test] format check (npm run format fixes it)" >&2
node_modules/.bin/prettier --check --log-level warn "src/**/*.ts" "test/**/*.ts" "bench/**/*.ts" "scripts/**/*.ts"
echo "[test] type check" >&2
node_modules/.bin/tsc -p tsconfig.check.json
mapfile -t files < <(find test -name '*.test.ts' | sort)
echo "[test] ${#files[@]} test files" >&2
exec node --import "file://$root/node_modules/tsx/dist/esm/index.mjs" --test --test-reporter=spec "${files[@]}"
