#!/usr/bin/env bash
# The whole test suite: unit, route and security tests, Node interop, and the browser
# end-to-end tests. Installs what it needs (npm packages, Debian chromium) on a fresh machine.
# With CI=true a missing Node or Chromium fails the run; otherwise those parts are skipped loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step prints the minutes and seconds since the start, so a slow step shows in the log.
started=$SECONDS
step() { printf '\n\033[1m== [%dm%02ds] %s\033[0m\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) "$*"; }

# Every test or script that skips for a missing service appends a line to this file (the
# Rust tests through their `unavailable` helper); the run ends with what was not tested.
TESSERA_TEST_SKIPS="$(mktemp "${TMPDIR:-/tmp}/tessera-skips.XXXXXX")"
export TESSERA_TEST_SKIPS
summary() {
  local status=$?
  if [ -s "$TESSERA_TEST_SKIPS" ]; then
    printf '\n\033[1m== Skipped, NOT tested (%s)\033[0m\n' "$(sort -u "$TESSERA_TEST_SKIPS" | wc -l)"
    sort -u "$TESSERA_TEST_SKIPS"
  else
    printf '\n\033[1m== Nothing was skipped\033[0m\n'
  fi
  step "Done (exit status $status)"
  rm -f "$TESSERA_TEST_SKIPS"
  exit "$status"
}
trap summary EXIT

step "Static checks: rustfmt, clippy (every target, warnings are errors), rustdoc (warnings are errors)"
# First, so a lint or a broken doc link fails the run in a minute or two, not after the long tests.
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

step "Node packages: next-auth and @auth/core (interop), oidc-provider (OpenID Connect e2e)"
if command -v npm >/dev/null 2>&1; then
  for dir in tests/interop tests/oidc; do
    if [ ! -d "$dir/node_modules" ]; then
      npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    fi
  done
elif [ "${CI:-}" = "true" ]; then
  echo "npm is required under CI=true" >&2
  exit 1
else
  echo "SKIP: npm not found; the interop and OpenID Connect tests will be skipped" >&2
fi

step "Services: PostgreSQL on 127.0.0.1:5432 (database test)"
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for v in /etc/postgresql/*; do pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true; done
    sleep 2
  fi
fi
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then echo "PostgreSQL is up"; else echo "PostgreSQL is not reachable: its tests fail under CI=true and skip otherwise" >&2; fi

step "Services: Redis on 127.0.0.1:6379"
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if command -v redis-server >/dev/null 2>&1; then
    # No snapshots: nothing written to the working directory.
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 0.2; done
  fi
fi
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then echo "Redis is up"; else echo "Redis is not reachable: its tests fail under CI=true and skip otherwise" >&2; fi

step "Tools: nginx (the demo's cluster tests, the proxy tests)"
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "nginx not found; installing Debian's nginx"
  SUDO=""
  if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null || true
  fi
fi
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then echo "nginx is installed"; else echo "nginx could not be installed: its tests fail under CI=true and skip otherwise" >&2; fi

step "SMTP test server (aiosmtpd from PyPI, in a venv under target/)"
bash crates/tessera-smtp/tests/smtp-server.sh --install || echo "could not install aiosmtpd: the SMTP tests fail under CI=true and skip otherwise" >&2

step "Rust tests (unit, routes, security, interop, adapters, SMTP, Redis, client, CLI, axum)"
# No test needs a binary built beforehand: the client's tests serve the engine in process, and
# this step builds target/debug/demo (examples/demo has integration tests), which the proxy
# and browser steps below run.
cargo test --workspace --all-targets --no-run
step "Rust tests: run"
cargo test --workspace --all-targets
step "Rust doc tests"
cargo test --workspace --doc

step "Behind nginx: per-client rate limits through a trusted proxy, forged forwarded headers (curl)"
DEMO_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/demo" bash tests/proxy/run.sh

step "wasm32: tessera-client and tessera-leptos tests in headless Chromium (wasm-bindgen-test)"
bash scripts/wasm-test.sh

step "Browser end to end (next-auth/react in headless Chromium against the demo)"
DEMO_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/demo" bash tests/e2e/run.sh

step "The switch from next-auth to tessera serve (a Next.js app on next-auth 4 + @auth/pg-adapter, then rewritten to Tessera), and the browser suite through that app in front of tessera serve"
TESSERA_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/tessera" bash tests/e2e/switch/run.sh
