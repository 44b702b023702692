#!/usr/bin/env bash
# The layers of src/ hold (docs/architecture.md): only src/wasm/ may use wasm-bindgen, js-sys or
# web-sys; the sans-IO core uses neither the driver nor a runtime; and neither the core nor the
# driver uses src/wasm/ beyond the one seam the core's codecs still need.
set -euo pipefail
cd "$(dirname "$0")/.."

# Code lines (not comments) of the Rust files under $1 that match the regex $2.
uses() { grep -rnE "$2" "$1" --include='*.rs' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true; }

fail=0
report() { echo "check-layers: $1:" >&2; echo "$2" >&2; fail=1; }

leaks=$(uses src '\b(wasm_bindgen|wasm_bindgen_futures|js_sys|web_sys|serde_wasm_bindgen)\b' | grep -v '^src/wasm/' || true)
[ -z "$leaks" ] || report "wasm-bindgen, js-sys or web-sys used outside src/wasm/" "$leaks"

leaks=$(uses src/core '\bcrate::(client|native)\b')
[ -z "$leaks" ] || report "the core uses the driver or a runtime" "$leaks"

# Until the core reads JSON itself (docs/architecture.md, step 4), its codecs borrow JSON.parse,
# atob and btoa from src/wasm/codec.rs; nothing else below src/wasm/ may reach up into it.
leaks=$(uses src '\bcrate::wasm::' | grep -vE '^src/wasm/' | grep -v 'crate::wasm::codec::' || true)
[ -z "$leaks" ] || report "code outside src/wasm/ uses it beyond the core's codecs" "$leaks"

# No two files use each other outside their tests: a pair that does hides which of them is the
# lower layer. (A module and the files of its own folder may: `crate::dir::{Item}` names the
# folder's mod.rs, which this doesn't count.)
declare -A deps
for f in $(find src -name '*.rs' ! -name mod.rs ! -name lib.rs ! -name tests.rs); do
  m=${f#src/}; m=${m%.rs}; m=${m//\//::}
  # The file up to its test module: tests may use anything.
  deps[$m]=$(awk '/^#\[cfg\(test\)\]/ { exit } { print }' "$f" | grep -vE '^[[:space:]]*//' | grep -oE 'crate::(core|client|wasm)::[a-z_]+\b' |
    sed 's/^crate:://' | sort -u | tr '\n' ' ' || true)
done
cycles=""
for a in "${!deps[@]}"; do
  for b in ${deps[$a]}; do
    if [[ "$a" < "$b" && " ${deps[$b]:-} " == *" $a "* ]]; then cycles+="$a <-> $b"$'\n'; fi
  done
done
[ -z "$cycles" ] || report "files that use each other" "$cycles"

if [ "$fail" -eq 0 ]; then
  echo "check-layers: src/core, src/client and src/wasm keep to their layers, with no import cycles"
fi
exit "$fail"
