#!/usr/bin/env bash
# Builds the npm package into pkg/: the size-optimised wasm, its wasm-bindgen glue (one `web`
# build serves browsers, bundlers, Node, Deno and workerd: the loaders differ only in how they
# fetch the bytes), then wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/.."
# scripts/wasm-cargo builds into CARGO_TARGET_DIR when it is set (a shared or outside target dir).
wasm=${CARGO_TARGET_DIR:-target/wasm}/wasm32-unknown-unknown/wasm-release/frontegg_auth_wasm.wasm

# shellcheck source=scripts/wasm-flags
. scripts/wasm-flags
# make bench prints it beside the sizes.
mkdir -p target
scripts/wasm-cargo --version > target/pkg-toolchain.txt
echo "pkg/: built by $(cat target/pkg-toolchain.txt)"
# One build per kind of runtime, from the same crate: browsers and bundlers get the one without
# the `server` feature (verifyAccessToken, loginWithApiToken: 17 KB gzip nobody's page needs);
# Node, Deno and workerd get the whole API.
build() {
  local name=$1
  shift
  scripts/wasm-cargo build --quiet --lib --target wasm32-unknown-unknown --profile wasm-release \
    "${std_size[@]}" "$@"
  wasm-bindgen --target web --out-dir pkg --out-name "$name" "$wasm"
  # --low-memory-unused: rustc links the 1 MB stack first, growing down towards 0, so nothing
  # lives below address 1024 and wasm-opt may fold constant offsets (1.3 KB gzip).
  node_modules/.bin/wasm-opt -Oz --converge --low-memory-unused --strip-debug --strip-producers \
    "pkg/${name}_bg.wasm" -o "pkg/${name}_bg.wasm"
  # Short import and export names in the wasm and the glue (scripts/minify-names.mjs).
  node_modules/.bin/wasm-opt --minify-imports-and-exports-and-modules \
    "pkg/${name}_bg.wasm" -o "pkg/${name}_bg.wasm" > "target/$name.names.json"
  node scripts/minify-names.mjs "pkg/$name.js" "target/$name.names.json" "pkg/${name}_bg.wasm"
  # The glue ships to every visitor as it is (a page may load pkg/ unbundled): minified, it is
  # 4 KB gzip lighter (names too). Its documentation lives on in the .d.ts.
  node_modules/.bin/esbuild "pkg/$name.js" --minify --format=esm --log-level=warning \
    --outfile="pkg/$name.js" --allow-overwrite
  rm -f "pkg/${name}_bg.wasm.d.ts"
  echo "pkg/: ${name}_bg.wasm $(stat -c %s "pkg/${name}_bg.wasm") bytes," \
    "$(gzip -9c "pkg/${name}_bg.wasm" | wc -c) gzip"
}

rm -f pkg/frontegg_auth_wasm*
build frontegg_auth_wasm --no-default-features
build frontegg_auth_wasm_server
# The declarations are the same for both builds (the browser's rejects the server-only calls);
# index.d.ts reads the browser build's.
rm -f pkg/frontegg_auth_wasm_server.d.ts
# The hand-written JS lives in js/. Node, Deno and workerd load its modules as they are; a
# browser gets one module, the browser glue and everything it imports bundled and minified (a
# page may load pkg/ unbundled, and each file it fetches is gzipped on its own: 2.8 KB gzip less
# than the six files, comments kept, that it was).
cp js/*.js pkg/
node_modules/.bin/esbuild pkg/index.js --bundle --minify --format=esm --log-level=warning \
  --outfile=pkg/index.js --allow-overwrite
# Bundled into index.js; its declarations (frontegg_auth_wasm.d.ts) stay.
rm pkg/frontegg_auth_wasm.js
echo "pkg/: index.js $(stat -c %s pkg/index.js) bytes, $(gzip -9c pkg/index.js | wc -c) gzip"
# The licence texts live once, at the repository root; the tarball carries copies (MIT's terms
# ask for the notice to travel with the code).
cp LICENSE-MIT LICENSE-APACHE pkg/
