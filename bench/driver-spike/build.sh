#!/usr/bin/env bash
# Builds every variant into out/<name>/ and prints sizes. Run from bench/driver-spike.
# Same profile as the project (wasm-release: opt-level z, lto, cgu 1, panic abort), then the
# project's wasm-opt flags, then esbuild --bundle --minify for the JS each variant ships.
set -euo pipefail
cd "$(dirname "$0")"
BIN="$(cd "$(dirname "$0")/../.." && pwd)/node_modules/.bin"
T=target/wasm32-unknown-unknown/wasm-release
opt() { # in out
  $BIN/wasm-opt -Oz --converge --low-memory-unused --strip-debug --strip-producers "$1" -o "$2"
}
js() { # entry out
  $BIN/esbuild "$1" --bundle --minify --format=esm --log-level=warning --outfile="$2"
}
mkdir -p out
variant=${1:-all}

if [[ $variant == all || $variant == a ]]; then
  cargo build --quiet -p proto-a --lib --target wasm32-unknown-unknown --profile wasm-release
  rm -rf out/a; wasm-bindgen --target web --out-dir out/a "$T/proto_a.wasm"
  cp out/a/proto_a_bg.wasm out/a/pre-opt.wasm
  opt out/a/proto_a_bg.wasm out/a/proto_a_bg.wasm
  js js/a.js out/a.min.js
  cp out/a/proto_a_bg.wasm out/a.wasm
fi
if [[ $variant == all || $variant == b-raw ]]; then
  cargo build --quiet -p proto-b --features raw --lib --target wasm32-unknown-unknown --profile wasm-release
  cp "$T/proto_b.wasm" out/b-raw.pre-opt.wasm
  opt "$T/proto_b.wasm" out/b-raw.wasm
  js js/raw.js out/b-raw.min.js
fi
if [[ $variant == all || $variant == b-wb ]]; then
  cargo build --quiet -p proto-b --features wb --lib --target wasm32-unknown-unknown --profile wasm-release
  rm -rf out/b-wb; wasm-bindgen --target web --out-dir out/b-wb "$T/proto_b.wasm"
  cp out/b-wb/proto_b_bg.wasm out/b-wb/pre-opt.wasm
  opt out/b-wb/proto_b_bg.wasm out/b-wb/proto_b_bg.wasm
  js js/wb.js out/b-wb.min.js
  cp out/b-wb/proto_b_bg.wasm out/b-wb.wasm
fi
# EXTRA data points (labelled): hand-rolled JSON instead of serde_json; then also #![no_std].
if [[ $variant == all || $variant == a-hand ]]; then
  cargo build --quiet -p proto-a --no-default-features --features hand --lib --target wasm32-unknown-unknown --profile wasm-release
  rm -rf out/a-hand; wasm-bindgen --target web --out-dir out/a-hand "$T/proto_a.wasm"
  cp out/a-hand/proto_a_bg.wasm out/a-hand/pre-opt.wasm
  opt out/a-hand/proto_a_bg.wasm out/a-hand/proto_a_bg.wasm
  sed 's#../out/a/proto_a.js#../out/a-hand/proto_a.js#' js/a.js > js/a-hand.js
  js js/a-hand.js out/a-hand.min.js
  cp out/a-hand/proto_a_bg.wasm out/a-hand.wasm
fi
if [[ $variant == all || $variant == b-raw-hand ]]; then
  cargo build --quiet -p proto-b --no-default-features --features raw,hand --lib --target wasm32-unknown-unknown --profile wasm-release
  cp "$T/proto_b.wasm" out/b-raw-hand.pre-opt.wasm
  opt "$T/proto_b.wasm" out/b-raw-hand.wasm
  cp out/b-raw.min.js out/b-raw-hand.min.js
fi
if [[ $variant == all || $variant == b-raw-hand-nostd ]]; then
  cargo build --quiet -p proto-b --no-default-features --features raw,hand,nostd --lib --target wasm32-unknown-unknown --profile wasm-release
  cp "$T/proto_b.wasm" out/b-raw-hand-nostd.pre-opt.wasm
  opt "$T/proto_b.wasm" out/b-raw-hand-nostd.wasm
  cp out/b-raw.min.js out/b-raw-hand-nostd.min.js
fi
# Hybrid (c): b-raw's exports and JS runtime, async flows run by an executor inside the machine.
if [[ $variant == all || $variant == c-raw ]]; then
  cargo build --quiet -p proto-c --features raw --lib --target wasm32-unknown-unknown --profile wasm-release
  cp "$T/proto_c.wasm" out/c-raw.pre-opt.wasm
  opt "$T/proto_c.wasm" out/c-raw.wasm
  js js/raw.js out/c-raw.min.js
fi
if [[ $variant == all || $variant == c-raw-hand ]]; then
  cargo build --quiet -p proto-c --no-default-features --features raw,hand --lib --target wasm32-unknown-unknown --profile wasm-release
  cp "$T/proto_c.wasm" out/c-raw-hand.pre-opt.wasm
  opt "$T/proto_c.wasm" out/c-raw-hand.wasm
  js js/raw.js out/c-raw-hand.min.js
fi
node bench/sizes.mjs
