// One cold start in a fresh process: wasm bytes already read; timed from before the module's
// import to a client ready for its first call (import + compile + instantiate + createAuth).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { VARIANTS } from "./variants.mjs";
const v = VARIANTS[process.argv[2]];
const bytes = readFileSync(v.wasm);
const url = pathToFileURL(v.js).href;
// "warm": Node 20 loads undici lazily on the first touch of `Response`/`fetch` (~19 ms); the
// wasm-bindgen glue touches `Response` during init, the raw runtime does not. A browser has
// them built in, and any first request pays it anyway, so "warm" touches them before timing.
if (process.argv[3] === "warm") { typeof Response; typeof fetch; }
const t0 = performance.now();
const { createAuth } = await import(url);
const auth = await createAuth({ baseUrl: "http://127.0.0.1:9" }, bytes);
const t1 = performance.now();
if (typeof auth.getProfile !== "function") throw new Error("not ready");
console.log((t1 - t0).toFixed(3));
