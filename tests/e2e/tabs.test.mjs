// Browser mode across tabs and reloads: one refresh serves every tab of an origin, signing out in
// one signs out all, and the storage option decides what survives a reload.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { harnessPage, writeHarness } from "../support/harness.mjs";

const site = fileURLToPath(new URL("../../build/site", import.meta.url));
const demo = { email: "demo@example.com", password: "Demo-pass-123!" };
let emu, browser;

before(async () => {
  await writeHarness(site);
  emu = await startEmulator(["--serve", site]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});

const tab = (context, options) => harnessPage(context, emu.url, options);

function countRefreshes(context) {
  const counter = { n: 0 };
  context.on("request", (r) => r.url().endsWith("/auth/v1/user/token/refresh") && counter.n++);
  return counter;
}

const token = (page) => page.evaluate(() => window.auth.session?.accessToken ?? null);

test("two tabs: a sign-in reaches both, one refresh serves both, a sign-out signs out both", async () => {
  const context = await browser.newContext();
  const refreshes = countRefreshes(context);
  const a = await tab(context);
  const b = await tab(context);

  await a.evaluate((demo) => window.auth.login(demo), demo);
  await b.waitForFunction(() => window.auth.session !== null);
  assert.equal(await token(b), await token(a), "tab B took over tab A's session");
  const before = await a.evaluate(() => window.auth.session.expiresAt);

  // Both tabs refresh at once. To make "at once" certain, the test holds the SDK's refresh lock
  // (its name is `frontegg-auth-wasm:<baseUrl>:refresh`) while both tabs queue up behind it, then
  // lets go: one tab refreshes, the other gets that session over the BroadcastChannel. A second
  // request would replay a rotated cookie and end the session.
  const lockName = `frontegg-auth-wasm:${emu.url}:refresh`;
  await a.evaluate((name) => {
    window.held = new Promise((granted) => {
      navigator.locks.request(name, () => new Promise((release) => granted((window.release = release))));
    });
    return window.held;
  }, lockName);
  const both = Promise.all([a.evaluate(() => window.auth.refresh()), b.evaluate(() => window.auth.refresh())]);
  await a.waitForFunction((name) => navigator.locks.query().then((s) => s.pending.length === 2), lockName);
  await a.evaluate(() => window.release());
  await both;
  assert.equal(refreshes.n, 1, "exactly one refresh request for two tabs");
  assert.ok((await a.evaluate(() => window.auth.session.expiresAt)) > before, "a new session");
  assert.equal(await token(b), await token(a));
  assert.equal(await b.evaluate(() => window.auth.session.expiresAt), await a.evaluate(() => window.auth.session.expiresAt));
  assert.equal((await b.evaluate(() => window.auth.getProfile())).email, demo.email);

  await a.evaluate(() => window.auth.logout());
  await b.waitForFunction(() => window.auth.session === null);
  assert.deepEqual(await b.evaluate(() => window.heard), ["SIGNED_IN", "TOKEN_REFRESHED", "SIGNED_OUT"]);
  await context.close();
});

test("a refresh lock held by a stuck tab is taken over only after the longest refresh could end", async () => {
  const context = await browser.newContext();
  // 2 s requests: three timeouts and their backoff end within 7.5 s; the wait is 9.5 s.
  const a = await tab(context, { timeoutMs: 2000 });
  await a.evaluate((demo) => window.auth.login(demo), demo);
  // Hold the lock and never let go, as a tab frozen mid-refresh would.
  await a.evaluate((name) => new Promise((granted) => navigator.locks.request(name, () => (granted(), new Promise(() => {}))))
    , `frontegg-auth-wasm:${emu.url}:refresh`);
  const started = Date.now();
  const session = await a.evaluate(() => window.auth.refresh());
  const waited = Date.now() - started;
  assert.equal(session.user.email, demo.email);
  assert.ok(waited >= 9_000, `waited ${waited} ms for the stuck holder before taking over`);
  await context.close();
});

test("a refresh lock that changed hands while a tab waited is not taken from its new holder", async () => {
  const context = await browser.newContext();
  const name = `frontegg-auth-wasm:${emu.url}:refresh`;
  // 2 s requests: the takeover wait is 9.5 s.
  const b = await tab(context, { timeoutMs: 2000 });
  await b.evaluate((demo) => window.auth.login(demo), demo);
  const [first, second] = [await tab(context), await tab(context)];
  // The first holder lets go after 3 s; the second, queued behind it, then holds on for good.
  await first.evaluate((name) => new Promise((granted) => navigator.locks.request(name, () => {
    granted();
    return new Promise((release) => setTimeout(release, 3000));
  })), name);
  await second.evaluate((name) => void navigator.locks.request(name, () => new Promise(() => {})), name);
  const started = Date.now();
  const session = await b.evaluate(() => window.auth.refresh());
  const waited = Date.now() - started;
  assert.equal(session.user.email, demo.email);
  assert.ok(waited >= 18_000, `waited ${waited} ms: a full wait for the second holder too`);
  await context.close();
});

test("storage 'local' restores after a reload without a refresh, and never holds the refresh token", async () => {
  const context = await browser.newContext();
  const refreshes = countRefreshes(context);
  const page = await tab(context, { storage: "local" });
  await page.evaluate((demo) => window.auth.login(demo), demo);
  const stored = await page.evaluate(() => Object.values(localStorage).join("\n"));
  assert.match(stored, /accessToken/);
  assert.doesNotMatch(stored, /fe_refresh|refreshToken/, "the refresh token stays in the httpOnly cookie");

  await page.reload();
  await page.waitForFunction(() => window.sdk);
  const restored = await page.evaluate(async (baseUrl) => {
    window.auth = await window.sdk.createAuth({ baseUrl, storage: "local", autoRefresh: false });
    return window.auth.restore();
  }, emu.url);
  assert.equal(restored.user.email, demo.email);
  assert.equal(refreshes.n, 0, "restored from storage, not from the network");

  await page.evaluate(() => window.auth.logout());
  assert.equal(await page.evaluate(() => localStorage.length), 0, "sign-out clears storage");
  await context.close();
});

test("memory storage, the default, writes nothing to web storage", async () => {
  const context = await browser.newContext();
  const page = await tab(context);
  await page.evaluate((demo) => window.auth.login(demo), demo);
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  assert.equal(await page.evaluate(() => document.cookie.includes("fe_refresh")), false);
  await context.close();
});

test("three tabs without Web Locks stay signed in through repeated refreshes of short tokens", async () => {
  const config = (patch) => fetch(`${emu.url}/emulator/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(patch) });
  await config({ accessTokenTtlSeconds: 8 });
  try {
    const context = await browser.newContext();
    // Pages on plain http other than localhost, and older Safari, have no navigator.locks.
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "locks", { get: () => undefined }));
    const refreshes = countRefreshes(context);
    const tabs = [];
    for (let i = 0; i < 3; i++) tabs.push(await tab(context, { autoRefresh: true }));
    assert.equal(await tabs[0].evaluate(() => navigator.locks), undefined);
    await tabs[0].evaluate((demo) => window.auth.login(demo), demo);
    for (const t of tabs) await t.waitForFunction(() => window.auth.session !== null);
    // About four token lifetimes: each tab's timer would fire at the same instant without jitter.
    await new Promise((r) => setTimeout(r, 17_000));
    for (const t of tabs) {
      assert.notEqual(await t.evaluate(() => window.auth.session), null, "still signed in");
      assert.ok(!(await t.evaluate(() => window.heard)).includes("SESSION_EXPIRED"));
    }
    const profile = await tabs[2].evaluate(() => window.auth.getProfile());
    assert.equal(profile.email, demo.email);
    assert.ok(refreshes.n >= 3, `the session was refreshed (${refreshes.n} times)`);
    await context.close();
  } finally {
    await config({ accessTokenTtlSeconds: 300 });
  }
});
