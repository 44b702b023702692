// The package as a consumer gets it: `npm pack` of pkg/, installed offline into a scratch
// project, then used by name from a Node script and from a page that Vite bundles and Chromium
// loads. This catches what the other suites, which import pkg/ by path, cannot: a file missing
// from the tarball, an `exports` condition that resolves wrongly, a wasm file a bundler drops.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { build } from "vite";
import { launchChromium } from "../support/chromium.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { isRelative, linkTargets } from "./readme-links.mjs";

const run = promisify(execFile);
const pkgDir = fileURLToPath(new URL("../../pkg/", import.meta.url));
const scratchSources = fileURLToPath(new URL("scratch/", import.meta.url));
const pkgJson = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8"));
const demoEmail = "demo@example.com";

let tmp, app, cache, tarball, packed;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "frontegg-auth-wasm-package-"));
  app = join(tmp, "app");
  cache = join(tmp, "npm-cache"); // a cache of our own: offline, and the user's stays untouched
  await mkdir(app);
  const npm = (args, cwd) =>
    run("npm", [...args, "--cache", cache, "--no-audit", "--no-fund", "--no-update-notifier"], { cwd, timeout: 60_000 });

  const { stdout } = await npm(["pack", "--json", "--pack-destination", tmp], pkgDir);
  [packed] = JSON.parse(stdout);
  tarball = join(tmp, packed.filename);

  await writeFile(join(app, "package.json"), JSON.stringify({ name: "scratch-consumer", private: true, type: "module" }, null, 2));
  for (const file of await readdir(scratchSources)) await copyFile(join(scratchSources, file), join(app, file));
  await npm(["install", "--offline", "--ignore-scripts", tarball], app);
});
after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test("the tarball holds every file the exports map and the loaders name, and installs offline", async () => {
  const files = packed.files.map((f) => f.path);
  for (const target of new Set(Object.values(pkgJson.exports["."]))) {
    assert.ok(files.includes(target.replace(/^\.\//, "")), `${target} is in the tarball (${files.join(", ")})`);
  }
  // The browser's glue is bundled into index.js; Node, Deno and workerd load the server build's.
  const builds = ["frontegg_auth_wasm_bg.wasm", "frontegg_auth_wasm.d.ts", "frontegg_auth_wasm_server.js", "frontegg_auth_wasm_server_bg.wasm"];
  for (const file of ["loader.js", "client.js", "error.js", "runtime.js", "package.json", "README.md", ...builds]) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
  }
  // A page fetches one module for the SDK's JS: index.js imports nothing.
  const index = await readFile(join(pkgDir, "index.js"), "utf8");
  assert.doesNotMatch(index, /\bimport\s*[{*\w"'(]/, "index.js imports another module");
  // Both licences of "MIT OR Apache-2.0", the texts of the repository root.
  assert.equal(pkgJson.license, "MIT OR Apache-2.0");
  for (const file of ["LICENSE-MIT", "LICENSE-APACHE"]) {
    assert.ok(files.includes(file), `${file} is in the tarball`);
    const root = fileURLToPath(new URL(`../../${file}`, import.meta.url));
    assert.equal(await readFile(join(app, "node_modules", "frontegg-auth-wasm", file), "utf8"), await readFile(root, "utf8"), `the installed ${file} is the root's`);
  }
  assert.deepEqual(pkgJson.dependencies ?? {}, {}, "nothing to fetch on install");

  const installed = join(app, "node_modules", "frontegg-auth-wasm");
  const consumer = JSON.parse(await readFile(join(app, "package.json"), "utf8"));
  assert.match(consumer.dependencies["frontegg-auth-wasm"], /^file:/, "installed from the tarball");
  for (const wasm of builds.filter((f) => f.endsWith(".wasm"))) {
    assert.deepEqual(
      await readFile(join(installed, wasm)),
      await readFile(join(pkgDir, wasm)),
      `the installed ${wasm} is the built one`,
    );
  }
});

test("the README npm shows links only to what is there: every relative link names a file in the tarball", async () => {
  // The reader itself, on a text with one of each kind of link (so an empty answer below means
  // the README has none, not that the reader missed them).
  assert.deepEqual(
    linkTargets('[a](docs/a.md#x "t") ![b](./b.png)\n[c]: <LICENSE-MIT>\n<https://x.example/> <a href="e.html">e</a> [f](#f) `[g](g.md)`'),
    ["docs/a.md#x", "./b.png", "LICENSE-MIT", "https://x.example/", "e.html", "#f"],
  );
  const files = packed.files.map((f) => f.path);
  const readme = await readFile(join(app, "node_modules", "frontegg-auth-wasm", "README.md"), "utf8");
  const relative = linkTargets(readme).filter(isRelative);
  for (const target of relative) {
    const path = posix.normalize(decodeURI(target.replace(/[?#].*$/, "")));
    assert.ok(files.includes(path), `README links to ${target}, which is not in the tarball (${files.join(", ")})`);
  }
  // npmjs.com resolves a relative link against package.json's `repository`, not the tarball:
  // without one, even a link to a packed file leads nowhere there.
  if (relative.length) assert.ok(pkgJson.repository, `README has relative links (${relative.join(", ")}) but package.json no repository to resolve them`);
});

test("a Node script imports the package by name, signs in and reads the profile", async () => {
  const emu = await startEmulator();
  try {
    const { stdout } = await run(process.execPath, ["signin.mjs"], {
      cwd: app,
      env: { ...process.env, BASE_URL: emu.url },
      timeout: 30_000,
    });
    const out = JSON.parse(stdout);
    assert.equal(out.entry, pathToFileURL(join(app, "node_modules/frontegg-auth-wasm/node.js")).href, "Node takes the `node` condition");
    assert.equal(out.status, "authenticated");
    assert.equal(out.sessionEmail, demoEmail);
    assert.equal(out.profileEmail, demoEmail);
  } finally {
    await emu.stop();
  }
});

test("Vite bundles the package with its wasm as an asset, and the page signs in in Chromium", async () => {
  const dist = join(app, "dist");
  await build({
    root: app,
    configFile: false,
    logLevel: "warn",
    build: { outDir: dist, emptyOutDir: true },
  });

  // The wasm is emitted whole as a hashed asset, and the bundle points at it.
  const assets = await readdir(join(dist, "assets"));
  const wasm = assets.filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 1, `one wasm asset, found ${assets.join(", ")}`);
  const sha = async (path) => createHash("sha256").update(await readFile(path)).digest("hex");
  assert.equal(await sha(join(dist, "assets", wasm[0])), await sha(join(pkgDir, "frontegg_auth_wasm_bg.wasm")));
  const scripts = assets.filter((f) => f.endsWith(".js"));
  assert.ok(scripts.length >= 1, `a script was emitted: ${assets.join(", ")}`);
  const code = (await Promise.all(scripts.map((f) => readFile(join(dist, "assets", f), "utf8")))).join("\n");
  assert.ok(code.includes(wasm[0]), "the bundle refers to the emitted wasm file by its hashed name");
  assert.ok(!code.includes("frontegg_auth_wasm_bg.wasm"), "and no longer to the unbundled name");
  assert.ok(!/node:fs|readFile\(/.test(code), "the browser entry, not the Node loader, was bundled");
  const html = await readFile(join(dist, "index.html"), "utf8");
  assert.match(html, /<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);

  // Served by the emulator, the page and the identity API are one origin (localhost: the
  // hostname a person would open, and the one WebAuthn would need).
  const emu = await startEmulator(["--serve", dist]);
  const browser = await launchChromium();
  try {
    const origin = emu.url.replace("127.0.0.1", "localhost");
    const page = await (await browser.newContext()).newPage();
    const failures = [];
    page.on("pageerror", (e) => failures.push(`pageerror: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && failures.push(`console: ${m.text()} (${m.location().url})`));
    const wasmResponse = page.waitForResponse((r) => r.url().endsWith(`/assets/${wasm[0]}`));
    await page.goto(`${origin}/`);
    const loaded = await wasmResponse;
    assert.equal(loaded.status(), 200);
    assert.equal(loaded.headers()["content-type"], "application/wasm", "served so it can compile while streaming");

    const out = page.locator("#out[data-state]");
    await out.waitFor({ timeout: 30_000 });
    assert.equal(await out.getAttribute("data-state"), "signed-in", await out.textContent());
    assert.equal(await out.textContent(), `Signed in as ${demoEmail}`);
    assert.deepEqual(failures, []);
  } finally {
    await browser.close();
    await emu.stop();
  }
});
