#!/usr/bin/env python3
"""Groups `twiggy top` rows of a name-keeping -Oz build by where the code comes from."""
import csv, subprocess, sys, re, os
TW = os.path.join(os.path.dirname(__file__), "..", "tools", "bin", "twiggy")
RULES = [
    ("names section (stripped in shipped build)", r'"function names"|custom section|"local names"'),
    ("data segments (.rodata etc.)", r"^data segment"),
    ("wasm-bindgen externref/multivalue shims", r"shim|__wbindgen|__wbg|externref"),
    ("serde-wasm-bindgen", r"serde_wasm_bindgen"),
    ("wasm-bindgen(-futures)/js-sys/web-sys runtime", r"wasm_bindgen|js_sys|web_sys"),
    ("async driver (proto_a::client)", r"proto_a::client"),
    ("JS bindings (proto_a::js, ::fetch)", r"proto_a::(js|fetch)"),
    ("futures-channel", r"futures_channel|futures_core"),
    ("hybrid flows (proto_c::client: async fn bodies)", r"proto_c::client"),
    ("hybrid machine + executor + Io + entry + effect writer (proto_c)", r"proto_c|std::task::wake|core::task::wake|Waker|RawWaker"),
    ("machine + entry + effect writer (proto_b)", r"proto_b|^handle$|^alloc$|^dealloc$|^out_ptr$"),
    ("flow rules (rules::, rules_hand:: incl. its JSON)", r"^rules(_hand)?::|<rules(_hand)?::"),
    ("serde_json + serde", r"serde_json|serde_core|serde::|zmij|ryu|itoa"),
    ("core::fmt + float/int formatting", r"fmt|flt2dec|bignum|escape_debug|dec2flt|Formatter|pad_integral|count_chars|Display|Debug"),
    ("allocator (dlmalloc) + alloc", r"dlmalloc|__rust_|__rdl_|__rg_|alloc::|RawVec|finish_grow|memcpy|memset|memmove|memcmp|compiler_builtins"),
    ("panics / str errors / other core+std", r"."),
]
def main(path):
    out = subprocess.run([TW, "top", "-n", "100000", "--format", "csv", path], capture_output=True, text=True, check=True).stdout
    groups = {k: 0 for k, _ in RULES}
    for row in csv.DictReader(out.splitlines()):
        name, size = row["Name"], int(row["ShallowSize"])
        for k, rx in RULES:
            if re.search(rx, name):
                groups[k] += size
                break
    total = sum(v for k, v in groups.items() if not k.startswith("names"))
    print(f"{os.path.basename(path)}: {total} bytes of code+data (names section excluded)")
    for k, v in sorted(groups.items(), key=lambda kv: -kv[1]):
        if v and not k.startswith("names"):
            print(f"  {v:7d}  {100*v/total:5.1f}%  {k}")
for p in sys.argv[1:]:
    main(p)
