#!/usr/bin/env bash
# Everything mlerl needs on a fresh machine: npm packages, bubblewrap, keyutils and redis-server (when we may
# install them), the agent venv. With --tests also what only the test suite needs: Chromium for the dashboard's
# browser tests (a large package the main job has no use for).
set -euo pipefail
for_tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) for_tests=1 ;;
    *) printf '[setup] unknown argument %s (the only one is --tests)\n' "$arg" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))"; exit 2
fi

# npm packages: reinstall only when the lockfile changed since the last install.
stamp=node_modules/.mlerl-lock-hash
want=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages"
  # better-sqlite3 compiles against Node's headers; where the system ships them, use them instead of letting
  # node-gyp download them (this machine may reach no host but the package registries).
  if [ -z "${npm_config_nodedir:-}" ]; then
    node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
  fi
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then return 1; fi
  if [ "$apt_updated" -eq 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

if ! command -v bwrap >/dev/null; then
  say "installing bubblewrap (the sandbox for agent programs)"
  apt_install bubblewrap || say "bubblewrap is missing and cannot be installed here; install it (apt-get install bubblewrap) or run agent code with --no-isolation"
fi
if ! command -v keyctl >/dev/null; then
  say "installing keyutils (a fresh session keyring per sandboxed run)"
  apt_install keyutils || say "keyutils is missing; sandboxed programs still cannot reach keyrings (seccomp), but runs share the caller's session keyring"
fi
if [ "$for_tests" -eq 1 ] && ! command -v chromium >/dev/null; then
  say "installing chromium (the headless browser of the dashboard's end-to-end tests)"
  apt_install chromium || say "chromium is missing; the dashboard's browser tests need it (apt-get install chromium), or point MLERL_CHROMIUM at a Chromium binary"
fi
if ! command -v redis-server >/dev/null; then
  say "installing redis-server (the job queue of --executor queue; the tests start their own on 127.0.0.1)"
  apt_install redis-server || say "redis-server is missing and cannot be installed here (not root); install it (apt-get install redis-server) to use --executor queue and to run test/queue/"
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  say "installing python3-venv"
  apt_install python3-venv || { say "python3 with the venv module is required"; exit 2; }
fi

bin/mlerl setup >&2
