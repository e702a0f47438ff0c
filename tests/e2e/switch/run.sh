#!/usr/bin/env bash
# The switch from next-auth to `tessera serve`, end to end (switch.test.mjs): a Next.js app
# on next-auth 4 + @auth/pg-adapter, then the same app rewritten to Tessera, in headless
# Chromium; then the browser suite of ../nextauth-react.test.mjs through that app in front
# of `tessera serve` (nextjs-front.test.mjs). Usage (from anywhere):  bash tests/e2e/switch/run.sh
#
# Env: TESSERA_BIN   the tessera binary (default: <workspace>/target/debug/tessera; built
#                    with `cargo build -p tessera-cli` when that default is missing)
#      CHROMIUM_BIN  browser (default /usr/bin/chromium; Debian's `chromium` is installed
#                    with apt-get when missing)
#      SWITCH_PG_URL PostgreSQL (default postgres://postgres@127.0.0.1:5432/test)
#      CI=true       a missing node, Chromium, PostgreSQL or SMTP test server is an error
#                    instead of a SKIP
#      E2E_VERBOSE=1 stream the servers' logs to stderr
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
cd "$HERE"

skip_or_fail() {
  if [[ "${CI:-}" == "true" ]]; then
    echo "switch: ERROR: $1" >&2
    exit 1
  fi
  echo "================================================================"
  echo "switch: SKIP: $1"
  [ -n "${TESSERA_TEST_SKIPS:-}" ] && printf '%s\t%s\n' "tests/e2e/switch/run.sh" "$1" >>"$TESSERA_TEST_SKIPS"
  echo "switch: (set CI=true to make this an error)"
  echo "================================================================"
  exit 0
}

# Seconds since the start, for the timings this step adds to the suite.
started=$SECONDS
elapsed() { echo "switch: [$((SECONDS - started)) s] $*"; }

# --- node ---------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  skip_or_fail "node/npm not found (Node >= 20 required)"
fi
if (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  skip_or_fail "Node $(node --version) is too old (>= 20 required)"
fi

# --- chromium (Debian package; never a browser download) ---------------------------
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM_BIN" ]]; then
  echo "switch: $CHROMIUM_BIN not found; installing Debian's chromium"
  sudo=""
  if [[ "$(id -u)" != "0" ]] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq || true
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium || true
  fi
  [[ -x "$CHROMIUM_BIN" ]] || skip_or_fail "chromium not found at $CHROMIUM_BIN and could not be installed"
fi

# --- PostgreSQL and the SMTP test server -----------------------------------------
pg_url="${SWITCH_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_hostport="${pg_url#*://}"
pg_hostport="${pg_hostport#*@}"
pg_hostport="${pg_hostport%%[/?]*}"
[[ "$pg_hostport" == *:* ]] || pg_hostport="$pg_hostport:5432"
if ! (exec 3<>"/dev/tcp/${pg_hostport%%:*}/${pg_hostport##*:}") 2>/dev/null; then
  skip_or_fail "PostgreSQL is not reachable at $pg_hostport"
fi
if ! sh "$ROOT/crates/tessera-smtp/tests/smtp-server.sh" --install 2>/dev/null; then
  skip_or_fail "the SMTP test server (aiosmtpd) could not be installed"
fi

# --- npm dependencies (exact versions from each package-lock.json) -------------------
# No browser download: playwright-core (tests/e2e) is used with CHROMIUM_BIN.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 NEXT_TELEMETRY_DISABLED=1
npm_ci() {
  if [[ ! -d "$1/node_modules" ]] || [[ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]]; then
    echo "switch: npm ci in $1"
    npm ci --prefix "$1" --no-audit --no-fund --loglevel=error
  fi
}
npm_ci "$HERE"     # next, next-auth 4, @auth/pg-adapter, pg, nodemailer, react
npm_ci "$HERE/.."  # playwright-core, for ../harness.mjs
npm_ci "$ROOT/tests/oidc"
elapsed "npm dependencies ready"

# --- the two builds of the app (kept while their inputs do not change) ---------------
node build.mjs
elapsed "app built (.next-nextauth, .next-tessera)"

# --- the tessera binary ------------------------------------------------------------
if [[ -z "${TESSERA_BIN:-}" ]]; then
  TESSERA_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tessera"
  if [[ ! -x "$TESSERA_BIN" ]] && command -v cargo >/dev/null 2>&1; then
    echo "switch: $TESSERA_BIN missing; building it (cargo build -p tessera-cli)"
    (cd "$ROOT" && cargo build -p tessera-cli)
  fi
fi
case "$TESSERA_BIN" in /*) ;; *) TESSERA_BIN="$PWD/$TESSERA_BIN" ;; esac
if [[ ! -x "$TESSERA_BIN" ]]; then
  echo "switch: ERROR: tessera binary not found or not executable: $TESSERA_BIN" >&2
  echo "switch: build it with 'cargo build -p tessera-cli' at $ROOT, or set TESSERA_BIN" >&2
  exit 1
fi
export TESSERA_BIN

# --- the tests ----------------------------------------------------------------------
# One after the other: both start Tessera on the port .next-tessera was built with.
#   switch.test.mjs        the switch from next-auth to Tessera and back
#   nextjs-front.test.mjs  the browser suite (../nextauth-react.suite.mjs) through the app
echo "switch: tessera=$TESSERA_BIN chromium=$CHROMIUM_BIN node=$(node --version)"
TIMEOUT=()
if command -v timeout >/dev/null 2>&1; then TIMEOUT=(timeout -k 10 300); fi
status=0
"${TIMEOUT[@]}" node --test ./switch.test.mjs || status=$?
elapsed "switch.test.mjs done (exit status $status)"
front=0
"${TIMEOUT[@]}" node --test ./nextjs-front.test.mjs || front=$?
elapsed "nextjs-front.test.mjs done (exit status $front)"
((status != 0)) || status=$front
exit "$status"
