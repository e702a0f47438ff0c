#!/usr/bin/env bash
# The whole test suite: unit, route and security tests, Node interop, and the browser
# end-to-end tests. Installs what it needs (npm packages, Debian chromium) on a fresh machine.
# With CI=true a missing Node or Chromium fails the run; otherwise those parts are skipped loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Node packages for the interop tests"
if command -v npm >/dev/null 2>&1; then
  if [ ! -d tests/interop/node_modules ]; then
    npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
  fi
elif [ "${CI:-}" = "true" ]; then
  echo "npm is required under CI=true" >&2
  exit 1
else
  echo "SKIP: npm not found; the interop tests will be skipped" >&2
fi

step "Rust tests (unit, routes, security, interop, CLI, axum)"
cargo test --workspace --all-targets
cargo test --workspace --doc

step "Browser end to end (next-auth/react in headless Chromium against the demo)"
cargo build -p demo
DEMO_BIN="$PWD/target/debug/demo" bash tests/e2e/run.sh
