#!/usr/bin/env bash
# Every benchmark in bench/, one after another (they measure time, so never in parallel), with tsx.
# Usage: scripts/bench.sh [NAME ...]   (names without .ts; default: all)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "$#" -gt 0 ]; then
  files=()
  for n in "$@"; do files+=("bench/${n%.ts}.ts"); done
else
  mapfile -t files < <(find bench -maxdepth 1 -name '*.ts' | sort)
fi
status=0
for f in "${files[@]}"; do
  if [ ! -f "$f" ]; then echo "[bench] no such benchmark: $f" >&2; status=2; continue; fi
  echo "[bench] $f" >&2
  start=$(date +%s)
  if ! node --import "file://$root/node_modules/tsx/dist/esm/index.mjs" "$f"; then
    echo "[bench] $f FAILED" >&2
    status=1
  fi
  echo "[bench] $f took $(( $(date +%s) - start )) s" >&2
done
exit "$status"
