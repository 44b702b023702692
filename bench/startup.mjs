// Start-up cost of the SDK. Node: importing pkg/node.js, then the first createAuth (which reads
// the wasm, compiles and instantiates it, and builds a client), a fresh process per sample.
// Chromium: navigation to a ready client, beside the official client and supabase auth-js
// loaded the same way into the same page from the same server. 20 and 30 samples.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { build } from "esbuild";
import { launchChromium } from "../tests/support/chromium.mjs";
import { kb, ms, root, stats, table } from "./lib.mjs";

const SAMPLES = 20;
// The page load is short next to the machine's noise, so Chromium takes more samples.
const PAGE_SAMPLES = 30;
const WASM = "frontegg_auth_wasm_bg.wasm";
const version = (name) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`${name}/package.json`))).version;

const rows = [];
const summarise = (label, samples) => {
  for (const [i, part] of ["import", "createAuth", "total"].entries()) {
    const s = stats(samples.map((x) => (i < 2 ? x[i] : x[0] + x[1])));
    rows.push([i === 0 ? label : "", part, ms(s.median), ms(s.min), ms(s.max)]);
  }
};

// Node: each sample is a new process, so nothing is cached between samples.
const probe = `
  const t0 = performance.now();
  const m = await import(${JSON.stringify(new URL("../pkg/node.js", import.meta.url).href)});
  const t1 = performance.now();
  await m.createAuth({ baseUrl: "http://127.0.0.1:9", mode: "server" });
  console.log(JSON.stringify([t1 - t0, performance.now() - t1]));`;
const node = [];
for (let i = 0; i < SAMPLES; i++) {
  node.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })));
}
summarise(`Node ${process.version}`, node);
table(
  `Node start-up, ms over ${SAMPLES} fresh processes: import pkg/node.js, then the first createAuth (wasm read + compile + instantiate)`,
  ["runtime", "step", "median", "min", "max"],
  rows,
);

// Chromium, side by side: this SDK, the official client and supabase auth-js, each bundled by
// esbuild the way a site ships it (minified ESM, from bench/entries/; ours fetches its wasm beside
// the bundle and compiles it while it streams), served by one local HTTP server from memory, and
// loaded by the same page: a module script that imports the bundle and constructs a client. Each
// sample is a fresh browser context (empty caches); the peers take turns, so a busy moment of the
// machine falls on all of them alike. Two times per sample: "own" from the script's start to a
// ready client (import: fetch, parse, evaluate; construct: ours fetches, compiles and
// instantiates its wasm), which is the SDK's cost, and "from navigation" (performance.now() at
// ready), which adds what every page pays (a new renderer, the document) whatever it loads.
const peers = [
  { entry: "frontegg-auth-wasm", name: "frontegg-auth-wasm (ours)",
    construct: "await m.createAuth({ baseUrl: location.origin })" },
  { entry: "frontegg-rest-api", name: `@frontegg/rest-api ${version("@frontegg/rest-api")} (auth, users, teams, tenants)`,
    construct: "m.client(location.origin)", official: true },
  { entry: "frontegg-rest-api-all", name: `@frontegg/rest-api ${version("@frontegg/rest-api")} (the whole api object)`,
    construct: "(m.ContextHolder.default().setContext({ baseUrl: location.origin }), m.api)" },
  { entry: "supabase-auth-js", name: `@supabase/auth-js ${version("@supabase/auth-js")} (new GoTrueClient)`,
    construct: "m.client(location.origin)" },
];
const files = await bundles(peers);
const server = await serve(files);
const browser = await launchChromium();
try {
  const origin = `http://127.0.0.1:${server.address().port}`;
  const streaming = await checkStreaming(browser, origin);
  const samples = peers.map(() => []);
  for (let i = 0; i < PAGE_SAMPLES; i++) {
    for (const [j, peer] of peers.entries()) samples[j].push(await sample(browser, `${origin}/${peer.entry}.html`));
  }
  const median = (j, key) => stats(samples[j].map((x) => x[key])).median;
  const officialAt = peers.findIndex((p) => p.official);
  const ratio = (key) => median(0, key) / median(officialAt, key);
  const side = peers.map((peer, j) => {
    const own = stats(samples[j].map((x) => x.own));
    const bytes = files.get(`/b/${peer.entry}.js`).length + (j === 0 ? files.get(`/b/${WASM}`).length : 0);
    const vs = (key) => (j === 0 ? "" : `${(median(0, key) / median(j, key)).toFixed(2)}×`);
    return [peer.name, kb(bytes), ms(median(j, "import")), ms(median(j, "construct")), ms(own.median),
      `${ms(own.min)}–${ms(own.max)}`, vs("own"), ms(median(j, "ready")), vs("ready")];
  });
  table(
    `Chromium ${browser.version()}, start-up side by side: medians over ${PAGE_SAMPLES} fresh contexts each, ms`,
    ["", "raw", "import", "construct", "own", "own min–max", "ours ÷ it", "from navigation", "ours ÷ it"],
    side,
  );
  console.log(`Ours: ${streaming}.`);
  console.log(`Ours' construct, medians from the createAuth call: wasm request sent at ${ms(median(0, "wasmSent"))} ms, last byte in at ${ms(median(0, "wasmLoaded"))} ms,`);
  console.log(`client ready at ${ms(median(0, "construct"))} ms (the rest: compile, instantiate, the first createAuth compiling its functions on first call).`);
  const verdict = (r) => `${r.toFixed(2)}× (${r <= 2 ? "within" : "OVER"} 2×)`;
  console.log(`Ours ÷ the official client (feature-matched bundle): from navigation ${verdict(ratio("ready"))}, own start-up ${verdict(ratio("own"))}.`);
} finally {
  await browser.close();
  server.close();
}

/** Each peer's page and its bundle (and our wasm beside ours), as a map of path to bytes. */
async function bundles(peers) {
  const result = await build({
    entryPoints: peers.map((p) => ({ in: `${root}bench/entries/${p.entry}.js`, out: p.entry })),
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, outdir: "/b",
    logLevel: "error",
  });
  const files = new Map(result.outputFiles.map((f) => [f.path, Buffer.from(f.contents)]));
  files.set(`/b/${WASM}`, readFileSync(`${root}pkg/${WASM}`));
  for (const p of peers) {
    const page = `<!doctype html><meta charset="utf-8"><title>startup</title>
<script type="module">
const start = performance.now();
const m = await import("/b/${p.entry}.js");
const imported = performance.now();
const client = ${p.construct};
if (!client) throw new Error("no client");
const ready = performance.now();
const wasm = performance.getEntriesByType("resource").find((e) => e.name.endsWith(".wasm"));
window.startup = { import: imported - start, construct: ready - imported, own: ready - start, ready,
  wasmSent: wasm ? wasm.requestStart - imported : 0, wasmLoaded: wasm ? wasm.responseEnd - imported : 0 };
</script>`;
    files.set(`/${p.entry}.html`, Buffer.from(page));
  }
  return files;
}

/** A loopback HTTP server answering from `files`, with the types a site sends. */
async function serve(files) {
  const types = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", wasm: "application/wasm" };
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const body = files.get(path);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": types[path.split(".").pop()], "content-length": body.length, "cache-control": "no-cache" });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** One cold load of `url` in a fresh context: the page's `startup` times, in ms. */
async function sample(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const failed = new Promise((_, reject) => page.on("pageerror", reject));
    await page.goto(url);
    return await Promise.race([page.waitForFunction(() => window.startup).then((h) => h.jsonValue()), failed]);
  } finally {
    await context.close();
  }
}

/** How our page got its wasm: through instantiateStreaming / compileStreaming, or not (a failure). */
async function checkStreaming(browser, origin) {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      window.wasmLoads = [];
      for (const name of ["instantiateStreaming", "compileStreaming", "instantiate", "compile"]) {
        const original = WebAssembly[name];
        WebAssembly[name] = function (source, ...rest) {
          window.wasmLoads.push(name + (source instanceof Response || source instanceof Promise ? "(Response)" : ""));
          return original.call(this, source, ...rest);
        };
      }
    });
    const page = await context.newPage();
    const wasm = page.waitForResponse((r) => r.url().endsWith(WASM));
    await page.goto(`${origin}/frontegg-auth-wasm.html`);
    await page.waitForFunction(() => window.startup);
    const type = (await wasm).headers()["content-type"];
    const loads = await page.evaluate(() => window.wasmLoads);
    if (type !== "application/wasm" || loads.join() !== "instantiateStreaming(Response)") {
      throw new Error(`ours did not compile while streaming: ${type}, ${loads.join(", ")}`);
    }
    return `wasm served as ${type}, compiled while it streams (WebAssembly.${loads[0]})`;
  } finally {
    await context.close();
  }
}
