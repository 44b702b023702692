#!/usr/bin/env bash
# The layers of src/ hold (docs/architecture.md): only src/wasm/ may use wasm-bindgen, js-sys or
# web-sys; the sans-IO core uses neither the driver nor a runtime; and neither the core nor the
# driver uses src/wasm/ beyond the one seam the core's codecs still need. No two files use each
# other, in src/ or in the emulator's emulator/src/.
set -euo pipefail
cd "$(dirname "$0")/.."

# Code lines (not comments) of the Rust files under $1 that match the regex $2.
uses() { grep -rnE "$2" "$1" --include='*.rs' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true; }

fail=0
report() { echo "check-layers: $1:" >&2; echo "$2" >&2; fail=1; }

# The pairs of files that use each other, from the map named $1 (a module -> the modules it uses).
mutual() {
  local -n uses_of=$1
  local a b
  for a in "${!uses_of[@]}"; do
    for b in ${uses_of[$a]}; do
      if [[ "$a" < "$b" && " ${uses_of[$b]:-} " == *" $a "* ]]; then echo "$a <-> $b"; fi
    done
  done
}

leaks=$(uses src '\b(wasm_bindgen|wasm_bindgen_futures|js_sys|web_sys|serde_wasm_bindgen)\b' | grep -v '^src/wasm/' || true)
[ -z "$leaks" ] || report "wasm-bindgen, js-sys or web-sys used outside src/wasm/" "$leaks"

leaks=$(uses src/core '\bcrate::(client|native)\b')
[ -z "$leaks" ] || report "the core uses the driver or a runtime" "$leaks"

# Until the core reads JSON itself (docs/architecture.md, step 4), its codecs borrow JSON.parse
# and btoa from src/wasm/codec.rs; nothing else below src/wasm/ may reach up into it.
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
cycles=$(mutual deps)
[ -z "$cycles" ] || report "files that use each other" "$cycles"

# The same in the emulator (emulator/src): no two modules use each other outside their tests, so
# route modules share code through a lower module (routes/signin.rs, domain/, store/) and never
# through each other. Paths are read as `crate::a::b` and, relative to the file, `super::b`,
# braced lists included; a path naming an item of a folder's mod.rs names no file and is skipped.
emu=emulator/src
# The files of module path $1 (a::b), if it is one: a/b.rs or a/b/mod.rs.
is_module() { [ -f "$emu/${1//:://}.rs" ] || [ -f "$emu/${1//:://}/mod.rs" ]; }
declare -A emu_deps
for f in $(find "$emu" -name '*.rs' ! -name mod.rs ! -name lib.rs ! -name main.rs ! -name tests.rs); do
  m=${f#"$emu"/}; m=${m%.rs}; m=${m//\//::}
  parent=${m%::*}; [ "$parent" = "$m" ] && parent=""
  # The file up to its test module, comments dropped, on one line; braced lists spread out
  # (`super::{a, b}` -> `super::a super::b`, one level deep, as rustfmt writes them).
  text=$(awk '/^#\[cfg\(test\)\]/ { exit } { print }' "$f" | grep -vE '^[[:space:]]*//' | tr '\n' ' ' |
    sed -E ':a; s/(crate|super)((::[a-z_]+)*)::\{[[:space:]]*([a-zA-Z_:]+)[[:space:]]*,?/\1\2::\4 \1\2::{/; ta; s/(crate|super)((::[a-z_]+)*)::\{[[:space:]]*\}//g')
  found=""
  for path in $(grep -oE '\b(crate|super)(::[a-z_]+)+' <<<"$text" | sort -u); do
    case $path in
      crate::*) path=${path#crate::} ;;
      super::*) [ -n "$parent" ] || continue; path=$parent::${path#super::} ;;
    esac
    # The longest prefix of the path that is a module file: the module it uses.
    while ! is_module "$path"; do
      [[ $path == *::* ]] || continue 2
      path=${path%::*}
    done
    [ "$path" = "$m" ] || found+="$path "
  done
  emu_deps[$m]=$(tr ' ' '\n' <<<"$found" | sort -u | tr '\n' ' ')
done
cycles=$(mutual emu_deps)
[ -z "$cycles" ] || report "emulator files that use each other" "$cycles"

if [ "$fail" -eq 0 ]; then
  echo "check-layers: src/core, src/client and src/wasm keep to their layers, with no import cycles"
  echo "check-layers: no two files of emulator/src use each other"
fi
exit "$fail"
