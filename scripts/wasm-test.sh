#!/usr/bin/env bash
# Browser tests (wasm32, headless Chromium through chromedriver) of tessera-client
# (LocalStorageBroadcast, setTimeout sleep, SessionStore) and tessera-leptos (<SessionProvider>).
#
# Installs what it needs: wasm-bindgen-cli at exactly the `wasm-bindgen` version of
# Cargo.lock (cached under ~/.cache/tessera/tools/wasm-bindgen-<version>), and Debian's chromium +
# chromium-driver (apt) when missing. With CI=true a failed install fails the run;
# otherwise the browser tests are skipped loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: $* (required under CI=true)" >&2
    exit 1
  fi
  echo "SKIP: $*; the browser tests are NOT run" >&2
  [ -n "${TESSERA_TEST_SKIPS:-}" ] && printf '%s\t%s\n' "scripts/wasm-test.sh" "$*" >>"$TESSERA_TEST_SKIPS"
  exit 0
}

step "wasm32 target"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown || skip_or_fail "cannot install the wasm32-unknown-unknown target"
fi

step "wasm32 checks (tessera-client, tessera-leptos with csr)"
cargo check -p tessera-client --target wasm32-unknown-unknown --all-targets
cargo check -p tessera-leptos --features csr --target wasm32-unknown-unknown --all-targets

step "wasm-bindgen-cli (must equal the wasm-bindgen crate in Cargo.lock)"
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$version" ] || { echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; }
# wasm-bindgen-cli is cached per version outside the checkout (a fresh clone, as CI makes,
# reuses it instead of spending ~3 minutes building it again); TESSERA_TOOLS moves the cache.
tools="${TESSERA_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera/tools}/wasm-bindgen-$version"
if [ ! -x "$tools/bin/wasm-bindgen-test-runner" ]; then
  echo "installing wasm-bindgen-cli $version into $tools (about 3 minutes, once)"
  cargo install wasm-bindgen-cli --version "$version" --root "$tools" \
    || skip_or_fail "cannot install wasm-bindgen-cli $version"
fi
echo "wasm-bindgen-test-runner $("$tools/bin/wasm-bindgen-test-runner" --version | awk '{print $2}')"

step "Chromium and chromedriver"
if [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
      || skip_or_fail "cannot install chromium/chromium-driver with apt"
  else
    skip_or_fail "no /usr/bin/chromedriver and no apt-get"
  fi
fi

step "Browser tests: cargo test -p tessera-client --target wasm32-unknown-unknown"
# The runner reads webdriver.json from the crate directory (headless, --no-sandbox for root/containers).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$tools/bin/wasm-bindgen-test-runner"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-60}"
unset GECKODRIVER SAFARIDRIVER
cargo test -p tessera-client --target wasm32-unknown-unknown --test browser

step "Browser tests: cargo test -p tessera-leptos --features csr --target wasm32-unknown-unknown"
cargo test -p tessera-leptos --features csr --target wasm32-unknown-unknown --test browser
