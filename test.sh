#!/usr/bin/env bash
# Runs every test: formatting and lints, Rust unit/integration tests, TypeScript unit tests and
# the browser end-to-end tests in Chromium. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-test-deps.sh

step() { printf '\n== %s\n' "$*"; }

step "rustfmt and clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "browser client: install, lint, unit tests, build"
scripts/build-client.sh
(cd browser-client && npm run lint && npm test)

step "Rust tests"
cargo build --workspace --all-targets --locked
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "browser end-to-end (Chromium)"
(cd browser-client && MMO_LOCAL_BIN="$PWD/../target/debug/mmo-local" npm run test:e2e)
