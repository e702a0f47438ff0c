#!/usr/bin/env bash
# End-to-end tests: unmodified next-auth/react 4.24.x in headless Chromium against the
# Tessera demo. Usage (from anywhere):  bash tests/e2e/run.sh
#
# Env: DEMO_BIN   demo binary (default: <workspace>/target/debug/demo; built with
#                 `cargo build -p demo` when that default is missing and cargo exists)
#      CHROMIUM_BIN  browser (default /usr/bin/chromium; Debian's `chromium` is installed
#                 with apt-get when missing)
#      NGINX_BIN  nginx, for cluster.test.mjs (default: nginx on PATH or /usr/sbin/nginx;
#                 Debian's `nginx` is installed with apt-get when missing)
#      CI=true    a missing node/chromium (or nginx/Redis for cluster.test.mjs) is an error
#                 instead of a SKIP
#      E2E_VERBOSE=1  stream demo/proxy logs to stderr
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"

skip_or_fail() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "e2e: ERROR: $1" >&2
    exit 1
  fi
  echo "================================================================"
  echo "e2e: SKIP: $1"
  [ -n "${TESSERA_TEST_SKIPS:-}" ] && printf '%s\t%s\n' "tests/e2e/run.sh" "$1" >>"$TESSERA_TEST_SKIPS"
  echo "e2e: (set CI=true to make this an error)"
  echo "================================================================"
  exit 0
}

# --- node ---------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  skip_or_fail "node/npm not found (Node >= 20 required)"
fi
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
if (( NODE_MAJOR < 20 )); then
  skip_or_fail "Node $(node --version) is too old (>= 20 required)"
fi

# Installs Debian package $1 with apt-get (through sudo when not root), if it can.
apt_install() {
  local sudo=""
  if [[ "$(id -u)" != "0" ]] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" || true
  fi
}

# --- chromium (Debian package; never a browser download) ---------------------------
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM_BIN" ]]; then
  echo "e2e: $CHROMIUM_BIN not found; installing Debian's chromium"
  apt_install chromium
  [[ -x "$CHROMIUM_BIN" ]] || skip_or_fail "chromium not found at $CHROMIUM_BIN and could not be installed (apt-get install -y chromium)"
fi

# --- nginx, for cluster.test.mjs (which skips, or fails under CI=true, without it) ----
if [[ -z "${NGINX_BIN:-}" ]] && ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  echo "e2e: nginx not found; installing Debian's nginx"
  apt_install nginx
fi

# --- npm dependencies (exact versions from package-lock.json) ---------------------
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "e2e: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
# oidc-provider for the OAuth tests (oauth.test.mjs), shared with the Rust OIDC tests.
if [[ ! -d ../oidc/node_modules ]]; then
  echo "e2e: installing oidc-provider (npm ci --prefix tests/oidc)"
  npm ci --prefix ../oidc --no-audit --no-fund --loglevel=error
fi
# next-auth 5 (beta) for v5/ (its own directory: one next-auth per node_modules; its
# .npmrc skips the peer `next`, which the bundle does not use).
if [[ ! -d v5/node_modules ]] || [[ v5/package-lock.json -nt v5/node_modules/.package-lock.json ]]; then
  echo "e2e: installing next-auth 5 for v5/ (npm ci in tests/e2e/v5)"
  (cd v5 && npm ci --no-audit --no-fund --loglevel=error)
fi
# No browser download: playwright-core (not playwright) is used with CHROMIUM_BIN.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# --- bundle ----------------------------------------------------------------------
node build.mjs
node v5/build.mjs

# --- demo binary -----------------------------------------------------------------
if [[ -z "${DEMO_BIN:-}" ]]; then
  DEMO_BIN="$ROOT/target/debug/demo"
  if [[ ! -x "$DEMO_BIN" ]] && command -v cargo >/dev/null 2>&1; then
    echo "e2e: $DEMO_BIN missing; building it (cargo build -p demo)"
    (cd "$ROOT" && cargo build -p demo)
  fi
fi
case "$DEMO_BIN" in /*) ;; *) DEMO_BIN="$HERE/$DEMO_BIN" ;; esac
if [[ ! -x "$DEMO_BIN" ]]; then
  echo "e2e: ERROR: demo binary not found or not executable: $DEMO_BIN" >&2
  echo "e2e: build it with 'cargo build -p demo' at $ROOT, or set DEMO_BIN" >&2
  exit 1
fi
export DEMO_BIN

# --- the Leptos example (wasm32, release), which the demo serves at /leptos/ -----
# leptos.test.mjs and v5/leptos5.test.mjs (`?compat=v5`) drive it; cargo makes this a quick
# no-op when nothing changed.
if command -v cargo >/dev/null 2>&1; then
  bash "$ROOT/scripts/build-leptos-app.sh"
elif [[ ! -f "$ROOT/examples/leptos-app/dist/leptos_app_bg.wasm" ]]; then
  echo "e2e: ERROR: no cargo to build the Leptos example (scripts/build-leptos-app.sh)" >&2
  exit 1
fi

# --- tests -----------------------------------------------------------------------
echo "e2e: demo=$DEMO_BIN chromium=$CHROMIUM_BIN node=$(node --version)"
TIMEOUT=()
if command -v timeout >/dev/null 2>&1; then TIMEOUT=(timeout -k 10 480); fi
exec "${TIMEOUT[@]}" node --test ./*.test.mjs ./v5/*.test.mjs
