#!/usr/bin/env bash
# Builds examples/leptos-app (release, wasm32) into static files: examples/leptos-app/dist/
# {index.html, leptos_app.js, leptos_app_bg.wasm}. Serve that directory from the auth
# server's origin (the app calls /api/auth on its own origin, with the browser's cookies).
#
#   scripts/build-leptos-app.sh            # the app
#   scripts/build-leptos-app.sh --sizes    # also: raw/gzip size of the app vs an empty Leptos app
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
# wasm-bindgen-cli is cached per version outside the checkout (a fresh clone, as CI makes,
# reuses it instead of spending ~3 minutes building it again); TESSERA_TOOLS moves the cache.
tools="${TESSERA_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/tessera/tools}/wasm-bindgen-$version"
if [ ! -x "$tools/bin/wasm-bindgen" ]; then
  cargo install wasm-bindgen-cli --version "$version" --root "$tools"
fi
export CARGO_TARGET_DIR="$PWD/target"
app=examples/leptos-app
out="$app/dist"

build() { # $1: extra cargo args, $2: output dir
  # shellcheck disable=SC2086
  cargo build --release --target wasm32-unknown-unknown --manifest-path "$app/Cargo.toml" $1
  rm -rf "$2" && mkdir -p "$2"
  "$tools/bin/wasm-bindgen" --target web --no-typescript --out-name leptos_app --out-dir "$2" \
    target/wasm32-unknown-unknown/release/leptos-app.wasm
}

build "" "$out"
cp "$app/index.html" "$out/"
echo "built $out:"; ls -l "$out"

if [ "${1:-}" = "--sizes" ]; then
  base=target/leptos-app-empty
  build "--no-default-features" "$base"
  size() { printf '%9d raw %9d gzip -9' "$(wc -c <"$1")" "$(gzip -9 -c "$1" | wc -c)"; }
  echo
  echo "empty Leptos app:        $(size "$base/leptos_app_bg.wasm")"
  echo "with tessera-leptos app: $(size "$out/leptos_app_bg.wasm")"
  # Rebuild the app last so target/ holds its artifacts.
fi
