#!/usr/bin/env bash
# Name-keeping copies of each -Oz build (same passes, names section kept, DWARF dropped) for
# twiggy, then twiggy top -n 20 and the grouped breakdown.
set -euo pipefail
B="$(cd "$(dirname "$0")/../../.." && pwd)/node_modules/.bin"
cd "$(dirname "$0")/.."
for v in a:out/a/pre-opt.wasm b-raw:out/b-raw.pre-opt.wasm b-wb:out/b-wb/pre-opt.wasm a-hand:out/a-hand/pre-opt.wasm b-raw-hand:out/b-raw-hand.pre-opt.wasm b-raw-hand-nostd:out/b-raw-hand-nostd.pre-opt.wasm c-raw:out/c-raw.pre-opt.wasm c-raw-hand:out/c-raw-hand.pre-opt.wasm; do
  name=${v%%:*}; src=${v#*:}
  $B/wasm-opt -Oz --converge --low-memory-unused -g --strip-dwarf --strip-producers "$src" -o "out/$name.named.wasm"
done
for n in a b-raw b-wb a-hand b-raw-hand b-raw-hand-nostd c-raw c-raw-hand; do
  echo "=== twiggy top -n 20 out/$n.named.wasm"
  tools/bin/twiggy top -n 20 "out/$n.named.wasm" | cut -c1-140
done
python3 bench/breakdown.py out/{a,b-raw,b-wb,a-hand,b-raw-hand,b-raw-hand-nostd,c-raw,c-raw-hand}.named.wasm
