// Prints raw and gzip -9 sizes of each variant's wasm and minified JS.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
const gz = (f) => Number(execSync(`gzip -9c ${f} | wc -c`).toString().trim());
const rows = [];
for (const v of process.argv.slice(2).length ? process.argv.slice(2) : ["a", "b-raw", "b-wb", "a-hand", "b-raw-hand", "b-raw-hand-nostd", "c-raw", "c-raw-hand"]) {
  const w = `out/${v}.wasm`, j = `out/${v}.min.js`;
  if (!existsSync(w)) continue;
  const r = { variant: v, wasm: statSync(w).size, wasmGz: gz(w), js: statSync(j).size, jsGz: gz(j) };
  r.totalGz = r.wasmGz + r.jsGz;
  rows.push(r);
}
console.table(rows);
