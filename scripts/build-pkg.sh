#!/usr/bin/env bash
# Builds the npm package into pkg/: the size-optimised wasm, its wasm-bindgen glue (one `web`
# build serves browsers, bundlers, Node, Deno and workerd: the loaders differ only in how they
# fetch the bytes), then wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=target/wasm/wasm32-unknown-unknown/wasm-release/frontegg_auth_wasm.wasm

if [ "$(scripts/wasm-cargo --which)" = debian ]; then
  # Debian's toolchain builds std from source, so it can also drop the panic machinery, Debug
  # formatting and panic locations (about 10 KB gzip together); a panic is a bug and aborts
  # either way, and the SDK never formats with {:?} for users.
  export RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none"
fi
scripts/wasm-cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release

rm -f pkg/frontegg_auth_wasm*
wasm-bindgen --target web --out-dir pkg "$wasm"
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers \
  pkg/frontegg_auth_wasm_bg.wasm -o pkg/frontegg_auth_wasm_bg.wasm
raw=$(stat -c %s pkg/frontegg_auth_wasm_bg.wasm)
gz=$(gzip -9c pkg/frontegg_auth_wasm_bg.wasm | wc -c)
echo "pkg/: frontegg_auth_wasm_bg.wasm ${raw} bytes, ${gz} gzip"
