// Token work at the edge: verifications per second of one real access token, this SDK's
// verifyAccessToken against jose's jwtVerify with createRemoteJWKSet (both fetch the emulator's
// JWKS once and cache it), in Node and in workerd (miniflare). 5,000 sequential calls each.
import { copyFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { Miniflare } from "miniflare";
import { verifyAccessToken } from "../pkg/node.js";
import { root, signIn, startEmulator, table, us } from "./lib.mjs";
import { loop } from "./verify-loop.js";

const options = { n: 5000, batch: 250, warmup: 200 };
const version = (name) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${name}/package.json`))).version;
const rows = [];
// Ours ÷ jose in calls per second: the target is 1.0× or more in each runtime.
const report = (runtime, { ours, jose }) => {
  const ratio = `${(ours.opsPerSecond / jose.opsPerSecond).toFixed(2)}×`;
  rows.push([runtime, "frontegg-auth-wasm verifyAccessToken", Math.round(ours.opsPerSecond), us(ours.medianUs), ratio]);
  rows.push(["", `jose ${version("jose")} jwtVerify`, Math.round(jose.opsPerSecond), us(jose.medianUs), ""]);
};

const emu = await startEmulator();
let worker;
try {
  const { auth, token } = await signIn(emu.url);
  const issuer = emu.url;

  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", emu.url));
  report(`Node ${process.version}`, {
    ours: await loop(() => verifyAccessToken(token, { baseUrl: emu.url, issuer }), options),
    jose: await loop(() => jwtVerify(token, jwks, { issuer }), options),
  });

  // The Worker bundled as wrangler would (esbuild), with the wasm module beside it.
  const out = `${root}build/bench/verify-worker`;
  await build({
    entryPoints: [`${root}bench/verify-worker.js`], bundle: true, format: "esm", platform: "neutral",
    external: ["*.wasm"], outfile: `${out}/worker.js`, logLevel: "error",
  });
  copyFileSync(`${root}pkg/frontegg_auth_wasm_server_bg.wasm`, `${out}/frontegg_auth_wasm_server_bg.wasm`);
  worker = new Miniflare({
    modules: true,
    scriptPath: `${out}/worker.js`,
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2025-01-01",
    bindings: { BASE_URL: emu.url },
  });
  const response = await worker.dispatchFetch("http://worker/", { method: "POST", body: JSON.stringify({ token, options }) });
  if (!response.ok) throw new Error(`worker: ${response.status} ${await response.text()}`);
  report(`workerd ${version("workerd")}`, await response.json());
  await auth.logout();
} finally {
  await worker?.dispose();
  await emu.stop();
}

table(
  `Access-token verification (RS256, JWKS cached), ${options.n} sequential calls after ${options.warmup} warm-up; µs per call is the median ${options.batch}-call batch`,
  ["runtime", "verifier", "ops/s", "µs/call", "ours ÷ jose"],
  rows,
);
console.log("Target: ours ÷ jose ≥ 1.0× in each runtime.");
