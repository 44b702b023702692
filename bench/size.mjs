// Prints what a browser downloads for the SDK: the wasm and the JS loader/glue, raw, gzip -9
// and brotli (quality 11), as served compressed.
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const pkg = new URL("../pkg/", import.meta.url);
const files = {
  wasm: ["frontegg_auth_wasm_bg.wasm"],
  "js (glue + loader)": ["frontegg_auth_wasm.js", "loader.js", "index.js", "error.js"],
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [];
let total = [0, 0, 0];
for (const [name, list] of Object.entries(files)) {
  const sizes = [0, 0, 0];
  for (const f of list) {
    const bytes = readFileSync(new URL(f, pkg));
    sizes[0] += bytes.length;
    sizes[1] += gzipSync(bytes, { level: 9 }).length;
    sizes[2] += brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  }
  rows.push([name, ...sizes]);
  total = total.map((t, i) => t + sizes[i]);
}
rows.push(["total", ...total]);
console.log("\nSize of the browser download (pkg/, after wasm-opt -Oz)\n");
console.log(`${"".padEnd(20)}${"raw".padStart(10)}${"gzip".padStart(10)}${"brotli".padStart(10)}`);
for (const [name, raw, gz, br] of rows) {
  console.log(`${name.padEnd(20)}${kb(raw).padStart(10)}${kb(gz).padStart(10)}${kb(br).padStart(10)}`);
}
