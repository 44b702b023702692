// Token work at the edge: verifications per second of one real access token, this SDK's
// verifyAccessToken against jose's jwtVerify with createRemoteJWKSet (both fetch the emulator's
// JWKS once and cache it), in Node and in workerd (miniflare). 50,000 sequential calls each,
// taking turns in rounds of 5,000 (bench/verify-loop.js).
import { copyFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { Miniflare } from "miniflare";
import { verifyAccessToken } from "../pkg/node.js";
import { root, signIn, startEmulator, table, us } from "./lib.mjs";
import { compare } from "./verify-loop.js";

const options = { rounds: 10, perRound: 5000, warmup: 500 };
const version = (name) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${name}/package.json`))).version;
const rows = [];
// Ours ÷ jose in calls per second: the target is 1.0× or more in each runtime. Beside it, the
// lowest and highest ratio of the rounds, so a reader sees how firm it is.
const report = (runtime, { ours, jose }) => {
  const ratio = `${(ours.opsPerSecond / jose.opsPerSecond).toFixed(2)}×`;
  const rounds = ours.roundMs.map((ms, i) => jose.roundMs[i] / ms);
  const range = `${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)}×`;
  rows.push([runtime, "frontegg-auth-wasm verifyAccessToken", Math.round(ours.opsPerSecond), us(ours.usPerCall), ratio, range]);
  rows.push(["", `jose ${version("jose")} jwtVerify`, Math.round(jose.opsPerSecond), us(jose.usPerCall), "", ""]);
};

const emu = await startEmulator();
let worker;
try {
  const { auth, token } = await signIn(emu.url);
  const issuer = emu.url;

  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", emu.url));
  report(`Node ${process.version}`, await compare({
    ours: () => verifyAccessToken(token, { baseUrl: emu.url, issuer }),
    jose: () => jwtVerify(token, jwks, { issuer }),
  }, options));

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
  `Access-token verification (RS256, JWKS cached), ${options.rounds} rounds of ${options.perRound} sequential calls each, taking turns, after ${options.warmup} warm-up`,
  ["runtime", "verifier", "ops/s", "µs/call", "ours ÷ jose", "rounds' range"],
  rows,
);
console.log("Target: ours ÷ jose ≥ 1.0× in each runtime.");
