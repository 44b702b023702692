#!/usr/bin/env bash
# The browser build's wasm, compiled and optimised as pkg/'s but keeping function names, for
# twiggy and bench/size-groups.mjs (docs/size.md):  scripts/named-wasm.sh OUT.wasm
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/named-wasm.sh OUT.wasm}
# shellcheck source=scripts/wasm-flags
. scripts/wasm-flags
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/wasm-named}
scripts/wasm-cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release \
  "${std_size[@]}" --no-default-features
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wasm-bindgen --target web --keep-debug --out-dir "$tmp" --out-name named \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontegg_auth_wasm.wasm"
node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused -g --strip-dwarf \
  "$tmp/named_bg.wasm" -o "$out"
