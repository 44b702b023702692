// What a browser downloads for the SDK, as served compressed: one list for `make bench`'s size
// table (bench/size.mjs) and `make test`'s ceiling (tests/package/size.test.mjs).
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/**
 * Gzip (-9) bytes of the browser download that `make test` allows: a little over what the
 * package weighs now, so growth fails a test and is a decision, not a drift. Lower it with every
 * saving (docs/size.md records each step).
 */
export const CEILING_GZIP = 85 * 1024;

/** pkg/'s browser files, by part. */
export const files = {
  wasm: ["frontegg_auth_wasm_bg.wasm"],
  "js (glue, loader, class and runtime in one module)": ["index.js"],
};

/** [raw, gzip -9, brotli 11] bytes of some buffers together. */
export const compressed = (buffers) =>
  buffers.reduce(
    (sum, bytes) => [
      sum[0] + bytes.length,
      sum[1] + gzipSync(bytes, { level: 9 }).length,
      sum[2] + brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    ],
    [0, 0, 0],
  );

/** Each part of the download in `pkgDir` (a file URL ending in /) and the total, [raw, gzip, brotli]. */
export function download(pkgDir) {
  const parts = Object.entries(files).map(([name, list]) => [name, compressed(list.map((f) => readFileSync(new URL(f, pkgDir))))]);
  const total = parts.reduce((t, [, s]) => t.map((x, i) => x + s[i]), [0, 0, 0]);
  return { parts, total };
}
