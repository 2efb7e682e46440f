#!/usr/bin/env bash
# Installs what the fuzz targets (fuzz/) need: cargo-fuzz from crates.io, pinned, when missing.
# They build with the nightly toolchain, which cannot be downloaded here: its absence is an
# error naming it, never a skipped run.
set -euo pipefail
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "error: the fuzz targets need the Rust nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo fuzz --version 2>/dev/null | grep -q '0.13'; then
  echo "installing cargo-fuzz 0.13 (a few minutes, once)"
  cargo install cargo-fuzz --version '^0.13' --locked
fi
