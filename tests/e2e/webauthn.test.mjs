// WebAuthn through the built package in Chromium against the emulator, which verifies the
// attestations and assertions for real (webauthn-rs). The authenticators are Chromium's virtual
// ones (CDP), platform (internal, user-verifying) and cross-platform (USB). Pages are opened at
// http://localhost:PORT: WebAuthn needs a domain, not an IP address.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { dev as devApi } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { call, harnessPage, writeHarness } from "../support/harness.mjs";

const site = fileURLToPath(new URL("../../build/site", import.meta.url));
const password = "Demo-pass-123!";
let emu, origin, browser, dev, context, page;

before(async () => {
  await writeHarness(site);
  emu = await startEmulator(["--serve", site]);
  origin = emu.url.replace("127.0.0.1", "localhost");
  dev = devApi(emu.url);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});
beforeEach(async () => {
  await context?.close();
  await dev.reset();
  context = await browser.newContext();
  page = await harnessPage(context, origin);
});

const PLATFORM = { transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true };
const SECURITY_KEY = { transport: "usb", hasResidentKey: false, hasUserVerification: false };

/** A virtual authenticator in `page`'s browser; `credentials()` lists what it holds. */
async function authenticator(options, on = page) {
  const cdp = await context.newCDPSession(on);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", automaticPresenceSimulation: true, ...options },
  });
  return {
    async credentials() {
      return (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials;
    },
    remove: () => cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId }),
  };
}

async function ok(method, args) {
  const result = await call(page, method, args);
  assert.ok(result.ok, `${method}: ${JSON.stringify(result.error)}`);
  return result.value;
}

async function fails(method, args, code) {
  const result = await call(page, method, args);
  assert.equal(result.ok, false, `${method} should fail with ${code}`);
  assert.ok(result.error.isFronteggError, "a FronteggError");
  assert.equal(result.error.code, code, result.error.message);
  return result.error;
}

/** Runs `auth[method](args with signal)` and aborts the signal after `ms`. */
function abortedAfter(method, args, ms) {
  return page.evaluate(async ([method, args, ms]) => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), ms);
    const started = Date.now();
    try {
      await window.auth[method]({ ...args, signal: controller.signal });
      return { ok: true };
    } catch (e) {
      return { ok: false, code: e.code, isFronteggError: e instanceof window.sdk.FronteggError, waited: Date.now() - started };
    }
  }, [method, args, ms]);
}

/** Rewrites the JSON body of requests to `pattern` with `change(body)` (once, then lets go). */
async function tamperOnce(pattern, change) {
  let seen = 0;
  await page.route(pattern, async (route) => {
    seen += 1;
    const body = route.request().postDataJSON();
    change(body);
    await route.continue({ postData: JSON.stringify(body) });
    await page.unroute(pattern);
  });
  return () => seen;
}

const fromB64url = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));
const toB64url = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("WebAuthn as a second factor", () => {
  test("forced MFA: enroll a platform authenticator during login, then verify with it next time", async () => {
    const platform = await authenticator(PLATFORM);
    await dev.config({ mfa: { enforce: "Force" } });
    const first = await ok("login", { email: "demo@example.com", password });
    assert.equal(first.status, "mfa_enrollment_required");
    assert.ok(first.mfa.strategies.includes("WebAuthnPlatform"), first.mfa.strategies.join());

    const enrolled = await ok("mfaEnrollWebAuthn", { deviceType: "Platform" });
    assert.equal(enrolled.status, "authenticated");
    assert.equal(enrolled.session.user.email, "demo@example.com");
    assert.match(enrolled.recoveryCode, /\S{6,}/, "a recovery code to show once");
    assert.equal((await platform.credentials()).length, 1, "the authenticator holds the new credential");
    await ok("logout");

    const again = await ok("login", { email: "demo@example.com", password });
    assert.equal(again.status, "mfa_required");
    const [device] = again.mfa.devices.webauthn;
    assert.equal(device.deviceType, "Platform");
    const verified = await ok("mfaVerifyWebAuthn", { deviceId: device.id });
    assert.equal(verified.status, "authenticated");
    assert.equal(verified.session.user.email, "demo@example.com");
    assert.equal((await platform.credentials())[0].signCount, 2, "signed twice: registration and login");
    assert.deepEqual(await page.evaluate(() => window.heard), ["MFA_REQUIRED", "SIGNED_IN", "SIGNED_OUT", "MFA_REQUIRED", "SIGNED_IN"]);
  });

  test("cross-platform security key (USB) during login; a tampered WebAuthn token is refused with a typed error", async () => {
    await authenticator(SECURITY_KEY);
    await dev.config({ mfa: { enforce: "Force" } });
    await ok("login", { email: "demo@example.com", password });
    const enrolled = await ok("mfaEnrollWebAuthn", { deviceType: "CrossPlatform" });
    assert.equal(enrolled.status, "authenticated");
    await ok("logout");

    const again = await ok("login", { email: "demo@example.com", password });
    const [device] = again.mfa.devices.webauthn;
    assert.equal(device.deviceType, "CrossPlatform");
    // The assertion is for another challenge than the one the server handed out.
    const seen = await tamperOnce("**/user/mfa/webauthn/*/verify", (body) => {
      body.webauthnToken = Buffer.alloc(32, 7).toString("base64url");
    });
    const refused = await fails("mfaVerifyWebAuthn", { deviceId: device.id }, "invalid_code");
    assert.equal(seen(), 1);
    assert.equal(refused.status, 400);
    assert.equal(refused.errorCode, "ER-03011", refused.message);
    // The MFA token is still good: a clean ceremony signs in.
    const verified = await ok("mfaVerifyWebAuthn", { deviceId: device.id, rememberDevice: true });
    assert.equal(verified.status, "authenticated");
  });

  test("enroll from settings, pass MFA with it, then remove it with mfaDisableDevice", async () => {
    const key = await authenticator(SECURITY_KEY);
    assert.equal((await ok("login", { email: "demo@example.com", password })).status, "authenticated");
    const device = await ok("mfaSettingsEnrollWebAuthn", { deviceType: "CrossPlatform" });
    assert.ok(device.id);
    assert.equal(device.deviceType, "CrossPlatform");
    assert.ok(device.recoveryCode, "a recovery code to show once");
    assert.deepEqual((await ok("listMfaDevices")).webauthn.map((d) => d.id), [device.id]);
    await ok("logout");

    const second = await ok("login", { email: "demo@example.com", password });
    assert.equal(second.status, "mfa_required");
    assert.equal((await ok("mfaVerifyWebAuthn", { deviceId: device.id })).status, "authenticated");

    assert.deepEqual(await ok("mfaDisableDevice", { deviceId: device.id, kind: "webauthn" }), { status: "disabled" });
    assert.deepEqual((await ok("listMfaDevices")).webauthn, []);
    await ok("logout");
    assert.equal((await ok("login", { email: "demo@example.com", password })).status, "authenticated", "no MFA left");
    assert.equal((await key.credentials()).length, 1, "the key itself still holds the old credential");
  });

  test("arguments are checked before any ceremony", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await ok("login", { email: "demo@example.com", password });
    await fails("mfaEnrollWebAuthn", { deviceType: "Phone" }, "invalid_input");
    await fails("mfaEnrollWebAuthn", {}, "invalid_input");
    await fails("mfaVerifyWebAuthn", { deviceId: "../users" }, "invalid_input");
    await fails("passkeyLogin", { signal: "stop" }, "invalid_input");
    await fails("passkeyLogin", { conditional: "yes" }, "invalid_input");
    // No authenticator, no WebAuthn-capable page needed for these: nothing was asked of the browser.
  });
});

describe("passkeys", () => {
  test("register a passkey, sign in with it alone, list, remove it, and be refused afterwards", async () => {
    const platform = await authenticator(PLATFORM);
    assert.equal(await page.evaluate(() => window.sdk.supportsPasskeys()), true);
    assert.equal(await page.evaluate(() => window.sdk.FronteggAuth.supportsPasskeys()), true);
    await ok("login", { email: "demo@example.com", password });
    const passkey = await ok("passkeyRegister", { name: "Work laptop" });
    assert.ok(passkey.id);
    assert.equal(passkey.deviceType, "Platform");
    assert.equal(passkey.name, "Work laptop");
    const [held] = await platform.credentials();
    assert.equal(held.isResidentCredential, true, "a discoverable credential");
    assert.deepEqual((await ok("passkeysList")).map((p) => [p.id, p.name]), [[passkey.id, "Work laptop"]]);
    await ok("logout");

    // No password, no email: the authenticator names the user.
    const signedIn = await ok("passkeyLogin");
    assert.equal(signedIn.status, "authenticated");
    assert.equal(signedIn.session.user.email, "demo@example.com");
    await ok("logout");
    const byEmail = await ok("passkeyLogin", { email: "demo@example.com" });
    assert.equal(byEmail.session.user.email, "demo@example.com");
    assert.ok((await ok("passkeysList"))[0].lastUsed, "the sign-in was recorded");

    await ok("passkeyRemove", passkey.id);
    assert.deepEqual(await ok("passkeysList"), []);
    await fails("passkeyRemove", passkey.id, "not_found");
    await ok("logout");
    // The authenticator still offers the credential; the server no longer accepts it.
    const refused = await fails("passkeyLogin", {}, "invalid_credentials");
    assert.equal(refused.status, 401);
    assert.equal(await page.evaluate(() => window.auth.session), null);
  });

  test("a cross-platform security key as a passkey, and the same authenticator twice", async () => {
    await authenticator({ transport: "usb", hasResidentKey: true, hasUserVerification: true, isUserVerified: true });
    await ok("login", { email: "demo@example.com", password });
    const key = await ok("passkeyRegister");
    assert.equal(key.deviceType, "CrossPlatform", "told by the browser's authenticatorAttachment");
    const again = await fails("passkeyRegister", {}, "webauthn_already_registered");
    assert.match(again.message, /already registered/);
    // The server excludes every credential of the user, MFA enrollment included.
    await fails("mfaSettingsEnrollWebAuthn", { deviceType: "CrossPlatform" }, "webauthn_already_registered");
    assert.equal((await ok("passkeysList")).length, 1);
    await ok("logout");
    assert.equal((await ok("passkeyLogin")).status, "authenticated");
  });

  test("tampered assertions (wrong origin, wrong challenge) are refused with typed errors", async () => {
    await authenticator(PLATFORM);
    await ok("login", { email: "demo@example.com", password });
    await ok("passkeyRegister");
    await ok("logout");

    await tamperOnce("**/auth/v1/webauthn/postlogin", (body) => {
      const clientData = fromB64url(body.response.clientDataJSON);
      clientData.origin = "https://evil.example";
      body.response.clientDataJSON = toB64url(clientData);
    });
    const wrongOrigin = await fails("passkeyLogin", {}, "invalid_credentials");
    assert.equal(wrongOrigin.status, 401);
    assert.equal(wrongOrigin.errorCode, "ER-03012", wrongOrigin.message);

    await tamperOnce("**/auth/v1/webauthn/postlogin", (body) => {
      const clientData = fromB64url(body.response.clientDataJSON);
      clientData.challenge = Buffer.alloc(32, 1).toString("base64url");
      body.response.clientDataJSON = toB64url(clientData);
    });
    const wrongChallenge = await fails("passkeyLogin", {}, "invalid_credentials");
    assert.equal(wrongChallenge.status, 400);
    assert.equal(wrongChallenge.errorCode, "ER-03011", wrongChallenge.message);
    assert.equal(await page.evaluate(() => window.auth.session), null);

    assert.equal((await ok("passkeyLogin")).status, "authenticated", "untouched, it works");
  });

  test("the server's options are checked before the browser sees them", async () => {
    await authenticator(PLATFORM);
    await page.route("**/auth/v1/webauthn/prelogin", (route) =>
      route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ options: { challenge: "%%%" } }) }));
    const bad = await fails("passkeyLogin", {}, "invalid_input");
    assert.match(bad.message, /challenge/);
    await page.unroute("**/auth/v1/webauthn/prelogin");
    // The page (and its wasm) survived: no panic.
    assert.equal((await ok("login", { email: "demo@example.com", password })).status, "authenticated");
  });
});

describe("cancelled ceremonies", () => {
  test("user verification refused by the authenticator is webauthn_cancelled", async () => {
    await authenticator({ ...PLATFORM, isUserVerified: false });
    await ok("login", { email: "demo@example.com", password });
    const cancelled = await fails("passkeyRegister", {}, "webauthn_cancelled");
    assert.match(cancelled.message, /cancelled|timed out/);
    assert.deepEqual(await ok("passkeysList"), [], "nothing was registered");
  });

  test("an AbortSignal cancels a pending ceremony, modal or conditional (autofill)", async () => {
    await authenticator({ ...PLATFORM, automaticPresenceSimulation: false });
    await ok("login", { email: "demo@example.com", password });
    const register = await abortedAfter("passkeyRegister", {}, 300);
    assert.deepEqual([register.ok, register.code, register.isFronteggError], [false, "webauthn_cancelled", true]);
    assert.ok(register.waited >= 250, "it was pending until aborted");
    await ok("logout");

    const modal = await abortedAfter("passkeyLogin", {}, 300);
    assert.deepEqual([modal.ok, modal.code], [false, "webauthn_cancelled"]);
    const conditional = await abortedAfter("passkeyLogin", { conditional: true }, 300);
    assert.deepEqual([conditional.ok, conditional.code], [false, "webauthn_cancelled"]);
    assert.ok(conditional.waited >= 250, "autofill waits for the user");
  });

  test("no authenticator at all: the browser gives up and it is webauthn_cancelled", async () => {
    // Without any authenticator, Chromium lets the request time out; the server's timeout is
    // long, so the caller's signal ends it.
    const none = await abortedAfter("passkeyLogin", {}, 500);
    assert.deepEqual([none.ok, none.code], [false, "webauthn_cancelled"]);
  });
});
