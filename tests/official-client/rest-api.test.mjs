// The official client, @frontegg/rest-api, driving the emulator from a real page in Chromium
// (it is a browser library: it needs `window`, `sessionStorage` and the browser's cookie jar).
// If the emulator drifts from the hosted service's dialect (paths, field names, cookies, status
// codes), this is where it shows.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import * as OTPAuth from "otpauth";
import { launchChromium } from "../support/chromium.mjs";
import { startEmulator } from "../support/emulator.mjs";

const site = fileURLToPath(new URL("../../build/official-client", import.meta.url));
const demo = { email: "demo@example.com", password: "Demo-pass-123!" };
let emu, browser, page;

before(async () => {
  await mkdir(site, { recursive: true });
  await build({
    stdin: {
      contents: `import fe from "@frontegg/rest-api"; window.fe = fe;`,
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
    },
    bundle: true,
    format: "esm",
    outfile: `${site}/client.js`,
    logLevel: "error",
  });
  await writeFile(`${site}/index.html`, `<!doctype html><script type="module" src="client.js"></script>`);
  emu = await startEmulator(["--serve", site]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});

/** A fresh page (fresh cookies) with the official client pointed at the emulator. */
async function freshPage() {
  await page?.context().close();
  const context = await browser.newContext();
  page = await context.newPage();
  await page.goto(emu.url);
  await page.waitForFunction(() => window.fe);
  // The official client's default prefix is /frontegg/identity; the emulator answers there too.
  await page.evaluate((baseUrl) => {
    window.fe.ContextHolder.default().setContext({ baseUrl, requestCredentials: "include" });
  }, emu.url);
  return page;
}

/** Runs `api.auth[method](arg)` in the page; resolves `{ ok, value }` or `{ ok: false, error }`. */
function call(method, arg) {
  return page.evaluate(
    async ([method, arg]) => {
      try {
        return { ok: true, value: await window.fe.api.auth[method](arg) };
      } catch (e) {
        return { ok: false, error: { name: e.constructor.name, statusCode: e.statusCode, message: e.message } };
      }
    },
    [method, arg],
  );
}

async function ok(method, arg) {
  const result = await call(method, arg);
  assert.ok(result.ok, `${method}: ${JSON.stringify(result.error)}`);
  return result.value;
}

test("login, getMeV2, refresh, logout", async () => {
  await freshPage();
  const user = await ok("login", demo);
  assert.equal(user.mfaRequired, false);
  assert.match(user.accessToken, /^ey/);
  assert.equal(user.email, demo.email, "the client merged the /users/v2/me profile into the user");
  assert.equal(user.tenantIds.length, 2);
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((c) => c.name.startsWith("fe_refresh_") && c.httpOnly), "httpOnly refresh cookie set");

  const me = await ok("getMeV2");
  assert.equal(me.email, demo.email);
  assert.equal(me.sub, user.sub);

  const refreshed = await ok("refreshToken");
  assert.match(refreshed.accessToken, /^ey/);
  assert.equal(refreshed.email, demo.email);

  await ok("logout");
  const after = await call("refreshToken");
  assert.equal(after.ok, false);
  assert.equal(after.error.statusCode, 401);
});

test("a wrong password is the client's FronteggApiError with the server's message", async () => {
  await freshPage();
  const result = await call("login", { ...demo, password: "wrong" });
  assert.equal(result.ok, false);
  assert.equal(result.error.name, "FronteggApiError");
  assert.equal(result.error.statusCode, 401);
  assert.match(result.error.message, /Incorrect email or password/);
});

test("MFA with an authenticator app: login, then loginWithMfa with a TOTP code", async () => {
  await freshPage();
  const first = await ok("login", { email: "mfa@example.com", password: demo.password });
  assert.equal(first.mfaRequired, true);
  assert.ok(first.mfaToken);
  assert.equal(first.accessToken, undefined);
  const clock = await (await fetch(`${emu.url}/emulator/v1/clock`)).json();
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32("JBSWY3DPEHPK3PXP"), digits: 6, period: 30 });
  const value = totp.generate({ timestamp: clock.now * 1000 });
  const user = await ok("loginWithMfa", { mfaToken: first.mfaToken, value });
  assert.match(user.accessToken, /^ey/);
  assert.equal(user.email, "mfa@example.com");
  assert.equal((await ok("getMeV2")).email, "mfa@example.com");
});
