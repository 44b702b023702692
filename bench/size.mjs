// Prints what a browser downloads for the SDK: the wasm and the JS loader/glue, raw, gzip -9
// and brotli (quality 11), as served compressed; then the same beside rival SDKs, each bundled
// by esbuild (minified ESM for browsers) from an entry in bench/entries/ that uses the features
// we offer, and the ceiling `make test` holds it to (bench/download.mjs).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { CEILING_GZIP, compressed, download, files } from "./download.mjs";
import { kb, root, table } from "./lib.mjs";

const pkg = new URL("../pkg/", import.meta.url);
const row = (name, sizes) => [name, ...sizes.map(kb)];

const { parts: ours, total } = download(pkg);
const toolchain = existsSync(`${root}target/pkg-toolchain.txt`)
  ? readFileSync(`${root}target/pkg-toolchain.txt`, "utf8").trim()
  : "unknown (pkg/ not built by scripts/build-pkg.sh)";
table(`Size of the browser download (pkg/, after wasm-opt -Oz; built by ${toolchain})`, ["", "raw", "gzip", "brotli"], [
  ...ours.map(([name, sizes]) => row(name, sizes)),
  row("total", total),
]);

/** The minified bundle of bench/entries/NAME.js (the wasm, fetched at run time, is not in it). */
async function bundle(name) {
  const result = await build({
    entryPoints: [`${root}bench/entries/${name}.js`], bundle: true, minify: true, format: "esm",
    platform: "browser", write: false, outdir: "out", logLevel: "error",
  });
  return result.outputFiles.map((f) => Buffer.from(f.contents));
}
const version = (name) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${name}/package.json`))).version;
const wasm = readFileSync(new URL(files.wasm[0], pkg));
const rivals = [
  ["frontegg-rest-api", `@frontegg/rest-api ${version("@frontegg/rest-api")} (auth, users, teams, tenants)`],
  ["frontegg-rest-api-all", `@frontegg/rest-api ${version("@frontegg/rest-api")} (the whole api object)`],
  ["supabase-auth-js", `@supabase/auth-js ${version("@supabase/auth-js")} (GoTrueClient) *`],
  ["auth0-spa-js", `@auth0/auth0-spa-js ${version("@auth0/auth0-spa-js")} (createAuth0Client) **`],
];
table("Beside other SDKs: what a browser downloads for password, sign-up, passwordless, MFA, passkeys, refresh/logout and self-service", ["", "raw", "gzip", "brotli"], [
  row("frontegg-auth-wasm, pkg/ files as shipped", total),
  row("frontegg-auth-wasm, app bundle + wasm", compressed([...(await bundle("frontegg-auth-wasm")), wasm])),
  ...(await Promise.all(rivals.map(async ([entry, label]) => row(label, compressed(await bundle(entry)))))),
]);
console.log(" * no sessions list and no tenants (Supabase has neither).");
console.log(" ** password, sign-up and passwordless run on Auth0's hosted login page (a redirect), downloaded then");
console.log("    and not counted; no sessions list or tenant switching.");

const verdict = total[1] <= CEILING_GZIP ? `within it by ${kb(CEILING_GZIP - total[1])}` : `OVER it by ${kb(total[1] - CEILING_GZIP)}`;
console.log(`\nCeiling (make test fails above it): ${kb(CEILING_GZIP)} gzip for everything a browser downloads; ours is ${kb(total[1])}, ${verdict}.`);
