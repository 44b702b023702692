// Where the browser wasm's bytes go, by crate and by function group: the tables in docs/size.md.
//
//   scripts/named-wasm.sh target/named.wasm    # the browser build, optimised as pkg/'s, with names
//   node bench/size-groups.mjs target/named.wasm [before.wasm]
//
// Needs twiggy (`cargo install twiggy`). Sizes are twiggy's shallow bytes of code and data
// (function names excluded), before gzip; with a second file, both are printed side by side.
import { execFileSync } from "node:child_process";

/** twiggy's rows for `wasm`: [name, shallow bytes]. */
function rows(wasm) {
  const csv = execFileSync("twiggy", ["top", "-n", "1000000", "-f", "csv", wasm], { encoding: "utf8", maxBuffer: 1 << 28 });
  return csv
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      // Name,ShallowSize,ShallowSizePercent,RetainedSize,RetainedSizePercent; names may hold commas.
      const cells = line.split(",");
      return [cells.slice(0, -4).join(",").replace(/^"|"$/g, ""), Number(cells.at(-4))];
    })
    .filter(([name]) => !name.includes("function names"));
}

/** The crate an item belongs to: the first crate its name mentions. */
function crate(name) {
  if (name.startsWith("data segment")) return "data (strings, tables)";
  const m = name.match(/([a-z_][a-z0-9_]*)\[[0-9a-f]+\]::/);
  if (m) return ["js_sys", "web_sys", "wasm_bindgen", "wasm_bindgen_futures"].includes(m[1]) ? "wasm-bindgen, js-sys, web-sys" : m[1];
  if (/shim|__wbg|externref|wasm_bindgen/.test(name)) return "wasm-bindgen, js-sys, web-sys";
  return "unnamed (wasm-bindgen's and wasm-opt's own)";
}

/** What an item does, by the code it comes from. */
function group(name) {
  const ours = (m) => name.includes(`frontegg_auth_wasm[`) && name.match(new RegExp(`frontegg_auth_wasm\\[[0-9a-f]+\\]::${m}`));
  if (name.startsWith("data segment")) return "data: messages, tables";
  if (/serde_wasm_bindgen|serde_json|serde_core|serde\[/.test(name)) return "JSON: serde, serde_json, serde-wasm-bindgen";
  if (ours("core::json") || / as frontegg_auth_wasm\[[0-9a-f]+\]::core::json::(FromJson|ToJson)>/.test(name)) return "JSON: ours (reader, writer, derived impls)";
  if (ours("wasm::convert::promise") || ours("wasm::auth")) return "exported calls (wasm/auth.rs, their futures)";
  if (ours("client::")) return "driver flows (client/)";
  if (ours("wasm::")) return "wasm layer (ceremony, tabs, storage, fetch, timer, codec)";
  if (ours("core::")) return "core rules (state, session, webauthn, ...)";
  if (/shim|__wbg|externref|wasm_bindgen|js_sys|web_sys/.test(name)) return "wasm-bindgen runtime and shims";
  if (name.includes("dlmalloc")) return "allocator (dlmalloc)";
  if (/core\[[0-9a-f]+\]::fmt|Formatter/.test(name)) return "core::fmt";
  return "std, core, alloc, other";
}

const tally = (wasm, key) => {
  const sums = new Map();
  for (const [name, size] of rows(wasm)) sums.set(key(name), (sums.get(key(name)) ?? 0) + size);
  return sums;
};

const [after, before] = process.argv.slice(2);
if (!after) {
  console.error("usage: node bench/size-groups.mjs named.wasm [before.wasm]");
  process.exit(2);
}
for (const [title, key] of [["by crate", crate], ["by function group", group]]) {
  const now = tally(after, key);
  const then = before ? tally(before, key) : new Map();
  const keys = [...new Set([...then.keys(), ...now.keys()])].sort((a, b) => (now.get(b) ?? 0) - (now.get(a) ?? 0) || (then.get(b) ?? 0) - (then.get(a) ?? 0));
  const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`\n| ${title} | ${before ? "before | " : ""}after |\n|---|${before ? "---:|" : ""}---:|`);
  for (const k of keys) console.log(`| ${k} | ${before ? `${(then.get(k) ?? 0).toLocaleString("en")} | ` : ""}${(now.get(k) ?? 0).toLocaleString("en")} |`);
  console.log(`| **total** | ${before ? `${total(then).toLocaleString("en")} | ` : ""}${total(now).toLocaleString("en")} |`);
}
