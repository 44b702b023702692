// How to load each variant: its shipped JS (minified bundle) and wasm.
export const VARIANTS = {
  a: { js: "out/a.min.js", wasm: "out/a.wasm" },
  "b-raw": { js: "out/b-raw.min.js", wasm: "out/b-raw.wasm" },
  "b-wb": { js: "out/b-wb.min.js", wasm: "out/b-wb.wasm" },
  "a-hand": { js: "out/a-hand.min.js", wasm: "out/a-hand.wasm" },
  "b-raw-hand": { js: "out/b-raw-hand.min.js", wasm: "out/b-raw-hand.wasm" },
  "b-raw-hand-nostd": { js: "out/b-raw-hand-nostd.min.js", wasm: "out/b-raw-hand-nostd.wasm" },
  "c-raw": { js: "out/c-raw.min.js", wasm: "out/c-raw.wasm" },
  "c-raw-hand": { js: "out/c-raw-hand.min.js", wasm: "out/c-raw-hand.wasm" },
};
