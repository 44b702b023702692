// Every sign-in path through the built package in Chromium (browser mode) against the emulator:
// codes come from the emulator's outbox, TOTP codes are computed at the emulator's clock, and
// the enrollment QR code is scanned as an authenticator app would.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { dev as devApi, scanTotpSecret } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { call, harnessPage, writeHarness } from "../support/harness.mjs";

const site = fileURLToPath(new URL("../../build/site", import.meta.url));
const password = "Demo-pass-123!";
let emu, browser, dev, context, page;

before(async () => {
  await writeHarness(site);
  emu = await startEmulator(["--serve", site]);
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
  page = await harnessPage(context, emu.url);
});

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

const code = async (to) => (await dev.lastMessage(to)).code;

describe("MFA during login", () => {
  test("authenticator app; a wrong code is invalid_code; a remembered device skips MFA next time", async () => {
    const first = await ok("login", { email: "mfa@example.com", password });
    assert.equal(first.status, "mfa_required");
    assert.ok(first.mfa.strategies.includes("AuthenticatorApp"));
    await fails("mfaVerifyTotp", { code: "000000" }, "invalid_code");
    const done = await ok("mfaVerifyTotp", { code: await dev.totp("JBSWY3DPEHPK3PXP"), rememberDevice: true });
    assert.equal(done.status, "authenticated");
    assert.equal(done.session.user.email, "mfa@example.com");
    assert.deepEqual(await page.evaluate(() => window.heard), ["MFA_REQUIRED", "SIGNED_IN"]);

    await ok("logout");
    const again = await ok("login", { email: "mfa@example.com", password });
    assert.equal(again.status, "authenticated", "the device cookie skipped MFA");
  });

  test("email code and SMS code", async () => {
    await ok("login", { email: "mfa@example.com", password });
    const { otcToken } = await ok("mfaSendEmailCode", {});
    const done = await ok("mfaVerifyEmailCode", { otcToken, code: await code("mfa@example.com") });
    assert.equal(done.status, "authenticated");
    await ok("logout");

    await dev.createUser({ email: "sms@example.com", phoneNumber: "+15550100", phoneNumberType: "mfa" });
    const first = await ok("login", { email: "sms@example.com", password });
    const deviceId = first.mfa.devices.phones[0].id;
    const sent = await ok("mfaSendSmsCode", { deviceId });
    await fails("mfaVerifySmsCode", { deviceId, otcToken: sent.otcToken, code: "000000" }, "invalid_code");
    const verified = await ok("mfaVerifySmsCode", { deviceId, otcToken: sent.otcToken, code: await code("+15550100") });
    assert.equal(verified.session.user.email, "sms@example.com");
  });

  test("forced enrollment with the QR code, a recovery code shown once, then recovery", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    const first = await ok("login", { email: "demo@example.com", password });
    assert.equal(first.status, "mfa_enrollment_required");
    const { qrCode } = await ok("mfaEnrollTotp", {});
    assert.match(qrCode, /^data:image\/png;base64,/);
    const enrolled = await ok("mfaConfirmTotp", { code: await dev.totp(scanTotpSecret(qrCode)) });
    assert.equal(enrolled.status, "authenticated");
    assert.ok(enrolled.recoveryCode, "a recovery code to show once");
    await ok("logout");

    assert.equal((await ok("login", { email: "demo@example.com", password })).status, "mfa_required");
    await ok("mfaRecover", { email: "demo@example.com", recoveryCode: enrolled.recoveryCode });
    await fails("mfaRecover", { email: "demo@example.com", recoveryCode: enrolled.recoveryCode }, "invalid_code");
  });

  test("forced enrollment by SMS", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await ok("login", { email: "demo@example.com", password });
    const { otcToken } = await ok("mfaEnrollSms", { phoneNumber: "+15550123" });
    const done = await ok("mfaConfirmSms", { otcToken, code: await code("+15550123") });
    assert.equal(done.status, "authenticated");
    assert.ok(done.recoveryCode);
  });
});

describe("passwordless", () => {
  test("magic link, email code and SMS code; MFA still applies", async () => {
    await ok("passwordlessStart", { type: "MagicLink", email: "demo@example.com" });
    const link = await dev.lastMessage("demo@example.com");
    assert.equal((await ok("passwordlessComplete", { type: "MagicLink", token: link.token })).status, "authenticated");
    await fails("passwordlessComplete", { type: "MagicLink", token: link.token }, "invalid_code");
    await ok("logout");

    await ok("passwordlessStart", { type: "OTC", email: "demo@example.com" });
    await fails("passwordlessComplete", { type: "OTC", token: "000000" }, "invalid_code");
    const viaCode = await ok("passwordlessComplete", { type: "OTC", token: await code("demo@example.com") });
    assert.equal(viaCode.session.user.email, "demo@example.com");
    await ok("logout");

    await dev.createUser({ email: "phone@example.com", phoneNumber: "+15550199" });
    await ok("passwordlessStart", { type: "SmsCode", email: "phone@example.com" });
    const viaSms = await ok("passwordlessComplete", { type: "SmsCode", token: await code("+15550199") });
    assert.equal(viaSms.session.user.email, "phone@example.com");
    await ok("logout");

    await ok("passwordlessStart", { type: "OTC", email: "mfa@example.com" });
    const step = await ok("passwordlessComplete", { type: "OTC", token: await code("mfa@example.com") });
    assert.equal(step.status, "mfa_required");
  });

  test("an unknown email is answered like a known one", async () => {
    const known = await ok("passwordlessStart", { type: "OTC", email: "demo@example.com" });
    const unknown = await ok("passwordlessStart", { type: "OTC", email: "nobody@example.com" });
    assert.deepEqual(Object.keys(unknown).sort(), Object.keys(known).sort());
  });
});

describe("sign-up and passwords", () => {
  test("sign up, change the password, forget it, reset it", async () => {
    const signedUp = await ok("signup", { email: "new@example.com", password: "First-pass-1!", companyName: "New Co" });
    assert.equal(signedUp.status, "authenticated");
    await fails("signup", { email: "new@example.com", password: "First-pass-1!", companyName: "X" }, "conflict");
    assert.deepEqual(await ok("signup", { email: "later@example.com", companyName: "Later" }), { status: "activation_required" });

    await fails("changePassword", { password: "wrong-current", newPassword: "Second-pass-2!" }, "invalid_input");
    await ok("changePassword", { password: "First-pass-1!", newPassword: "Second-pass-2!" });
    await ok("logout");
    await fails("login", { email: "new@example.com", password: "First-pass-1!" }, "invalid_credentials");

    await ok("forgotPassword", { email: "new@example.com" });
    const link = new URL((await dev.lastMessage("new@example.com")).link);
    const reset = { userId: link.searchParams.get("userId"), token: link.searchParams.get("token"), password: "Third-pass-3!" };
    await ok("resetPassword", reset);
    await fails("resetPassword", reset, "invalid_input");
    assert.equal((await ok("login", { email: "new@example.com", password: "Third-pass-3!" })).status, "authenticated");
  });
});

describe("self-service", () => {
  const demoLogin = () => ok("login", { email: "demo@example.com", password });

  test("profile: update and read back; bad values are refused", async () => {
    await demoLogin();
    const updated = await ok("updateProfile", { name: "Dee Moe", metadata: { theme: "dark" } });
    assert.equal(updated.name, "Dee Moe");
    const profile = await ok("getProfile");
    assert.equal(profile.name, "Dee Moe");
    assert.deepEqual(JSON.parse(profile.metadata), { theme: "dark" });
    await fails("updateProfile", { phoneNumber: "not a phone" }, "invalid_input");
    await fails("updateProfile", {}, "invalid_input");
  });

  test("sessions: this one is marked; revoking another makes it fail to refresh; revoke all", async () => {
    await demoLogin();
    const other = await harnessPage(await browser.newContext(), emu.url);
    await other.evaluate((password) => window.auth.login({ email: "demo@example.com", password }), password);
    const third = await harnessPage(await browser.newContext(), emu.url);
    await third.evaluate((password) => window.auth.login({ email: "demo@example.com", password }), password);

    const sessions = await ok("listSessions");
    assert.equal(sessions.length, 3);
    assert.equal(sessions.filter((s) => s.current).length, 1);
    const otherId = (await other.evaluate(() => window.auth.listSessions())).find((s) => s.current).id;
    await ok("revokeSession", otherId);
    const refused = await other.evaluate(() => window.auth.refresh().then(() => null, (e) => e.code));
    assert.equal(refused, "session_expired", "the revoked session can't refresh");
    await fails("revokeSession", "no-such-session", "not_found");

    await ok("revokeAllSessions");
    assert.equal(await third.evaluate(() => window.auth.refresh().then(() => null, (e) => e.code)), "session_expired");
    assert.equal((await ok("refresh")).user.email, "demo@example.com", "this session lives on");
    assert.equal((await ok("listSessions")).length, 1);
  });

  test("tenants: list, switch (the token's claim changes), refuse a foreign tenant; authorization", async () => {
    await demoLogin();
    const tenants = await ok("listTenants");
    assert.deepEqual(tenants.map((t) => t.tenantId).sort(), ["tenant-acme", "tenant-globex"]);
    assert.equal(await page.evaluate(() => window.auth.session.user.tenantId), "tenant-acme");
    const switched = await ok("switchTenant", "tenant-globex");
    assert.equal(switched.user.tenantId, "tenant-globex");
    assert.ok((await page.evaluate(() => window.heard)).includes("TOKEN_REFRESHED"));
    assert.equal((await ok("refresh")).user.tenantId, "tenant-globex", "later refreshes stay in the new tenant");
    await fails("switchTenant", "tenant-initech", "forbidden");
    await fails("switchTenant", "", "invalid_input");

    const { roles, permissions } = await ok("getAuthorization");
    assert.ok(roles.some((r) => r.key === "Admin"));
    assert.ok(permissions.length > 0);
  });

  test("MFA devices from settings: add an authenticator app, list it, remove it", async () => {
    await demoLogin();
    const { qrCode } = await ok("mfaSettingsEnrollTotp");
    const secret = scanTotpSecret(qrCode);
    await fails("mfaSettingsConfirmTotp", { code: "000000" }, "invalid_input");
    const { recoveryCode } = await ok("mfaSettingsConfirmTotp", { code: await dev.totp(secret) });
    assert.ok(recoveryCode);
    const devices = await ok("listMfaDevices");
    assert.equal(devices.authenticators.length, 1);
    const deviceId = devices.authenticators[0].id;

    await fails("mfaDisableDevice", { kind: "authenticator", deviceId, code: "000000" }, "invalid_code");
    // The code that confirmed the app can't be used again: move to the next 30 s step.
    await fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 30 }) });
    assert.deepEqual(await ok("mfaDisableDevice", { kind: "authenticator", deviceId, code: await dev.totp(secret) }), { status: "disabled" });
    assert.equal((await ok("listMfaDevices")).authenticators.length, 0);
  });

  test("an SMS device: the first call texts a code, the second removes it", async () => {
    await dev.createUser({ email: "sms@example.com", phoneNumber: "+15550100", phoneNumberType: "mfa" });
    const first = await ok("login", { email: "sms@example.com", password });
    const deviceId = first.mfa.devices.phones[0].id;
    const { otcToken } = await ok("mfaSendSmsCode", { deviceId });
    await ok("mfaVerifySmsCode", { deviceId, otcToken, code: await code("+15550100") });

    const sent = await ok("mfaDisableDevice", { kind: "sms", deviceId });
    assert.equal(sent.status, "code_sent");
    assert.deepEqual(await ok("mfaDisableDevice", { kind: "sms", deviceId, code: await code("+15550100") }), { status: "disabled" });
    assert.equal((await ok("listMfaDevices")).phones.length, 0);
  });

  test("signed out, every self-service call is unauthorized before any request", async () => {
    let requests = 0;
    page.on("request", (r) => r.url().includes("/identity/") && requests++);
    for (const [method, args] of [["getProfile"], ["listSessions"], ["listTenants"], ["getAuthorization"], ["listMfaDevices"], ["revokeAllSessions"], ["switchTenant", "tenant-acme"], ["updateProfile", { name: "x" }]]) {
      await fails(method, args, "unauthorized");
    }
    assert.equal(requests, 0);
  });
});

describe("the browser build", () => {
  test("leaves out the server-only calls, which reject and say where they live", async () => {
    const apiToken = { clientId: "5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f", secret: "demo-api-secret-3f9a6c2e8b7d4105" };
    const error = await fails("loginWithApiToken", apiToken, "invalid_input");
    assert.match(error.message, /servers and workers/);
    const verify = await page.evaluate(async (baseUrl) => {
      try {
        await window.sdk.verifyAccessToken("a.b.c", { baseUrl });
      } catch (e) {
        return { code: e.code, message: e.message, isFronteggError: e instanceof window.sdk.FronteggError };
      }
    }, emu.url);
    assert.equal(verify?.code, "invalid_input");
    assert.ok(verify.isFronteggError);
    assert.match(verify.message, /servers and workers/);
    assert.equal(await page.evaluate(() => window.auth.session), null, "nothing signed in");
  });
});

describe("auth.fetch", () => {
  const refreshes = async () => (await (await fetch(`${emu.url}/emulator/v1/stats`)).json()).refreshes;

  test("50 concurrent calls on a token the server no longer accepts: one refresh, all succeed", async () => {
    await ok("login", { email: "demo@example.com", password });
    // The access token lives 300 s; move the emulator past it. The client's clock still thinks
    // the token is good, so every call goes out with it and comes back 401.
    await fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 301 }) });
    const before = await refreshes();
    const statuses = await page.evaluate(async (url) => {
      const calls = Array.from({ length: 50 }, () => window.auth.fetch(url).then((r) => r.status));
      return Promise.all(calls);
    }, `${emu.url}/identity/resources/users/v2/me`);
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.equal((await refreshes()) - before, 1, "exactly one refresh request at the emulator");
  });

  test("a retried request keeps its body; signed out, the 401 is the answer", async () => {
    await ok("login", { email: "demo@example.com", password });
    await fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 301 }) });
    const profile = await page.evaluate(async (url) => {
      const response = await window.auth.fetch(url, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Renamed Through Fetch" }),
      });
      return response.json();
    }, `${emu.url}/identity/resources/users/v2/me`);
    assert.equal(profile.name, "Renamed Through Fetch");

    await ok("logout");
    const status = await page.evaluate((url) => window.auth.fetch(url).then((r) => r.status), `${emu.url}/identity/resources/users/v2/me`);
    assert.equal(status, 401);
    const bad = await page.evaluate(() => window.auth.fetch("http://[bad").then(() => null, (e) => e.code));
    assert.equal(bad, "invalid_input");
  });

  test("the page's own origin gets the token (relative URLs resolve against it); a foreign one is refused", async () => {
    await ok("login", { email: "demo@example.com", password });
    const me = await page.evaluate(() => window.auth.fetch("/identity/resources/users/v2/me").then((r) => r.json()));
    assert.equal(me.email, "demo@example.com");
    // Another identity host: the page's origin is still trusted, a foreign origin never reached.
    const seen = await page.evaluate(async () => {
      const seen = [];
      const other = await window.sdk.createAuth({
        baseUrl: "https://app-x.frontegg.example",
        autoRefresh: false,
        fetch: async (request) => (seen.push(request.url), new Response("{}")),
      });
      await other.fetch("/api/things");
      await other.fetch(new URL("https://app-x.frontegg.example/x"));
      const refused = await other.fetch("https://evil.example/steal").then(() => null, (e) => e.code);
      return { urls: seen, refused };
    });
    assert.deepEqual(seen.urls, [`${emu.url}/api/things`, "https://app-x.frontegg.example/x"]);
    assert.equal(seen.refused, "invalid_input");
  });
});

describe("bad input", () => {
  // Every method, given missing or mistyped arguments, rejects with invalid_input before any request.
  const cases = [
    ["login", {}], ["login", { email: "a@b.c" }], ["login", { email: 1, password: "x" }], ["login", "nope"],
    ["mfaVerifyTotp", { mfaToken: "m" }], ["mfaVerifyTotp", { mfaToken: "m", code: 123456 }],
    ["mfaSendSmsCode", { mfaToken: "m" }], ["mfaSendSmsCode", { mfaToken: "m", deviceId: "../x" }],
    ["mfaVerifySmsCode", { mfaToken: "m", deviceId: "d", code: "1" }], ["mfaSendEmailCode", {}],
    ["mfaVerifyEmailCode", { mfaToken: "m", code: "1" }], ["mfaEnrollTotp", { mfaToken: 5 }],
    ["mfaConfirmTotp", { mfaToken: "m" }], ["mfaEnrollSms", { mfaToken: "m" }],
    ["mfaConfirmSms", { mfaToken: "m", code: "1" }], ["mfaRecover", { email: "a@b.c" }],
    ["passwordlessStart", { type: "OTC" }], ["passwordlessStart", { type: "Fax", email: "a@b.c" }],
    ["passwordlessComplete", { type: "OTC" }], ["signup", { email: "a@b.c" }],
    ["changePassword", { password: "a" }], ["forgotPassword", {}], ["resetPassword", { userId: "u", token: "t" }],
    ["login", { email: "a@b.c", password: "x", extra: 1 }],
  ];
  test(`${cases.length} malformed calls: invalid_input, no request`, async () => {
    let requests = 0;
    page.on("request", (r) => r.url().includes("/identity/") && requests++);
    for (const [method, args] of cases) {
      const error = await fails(method, args, "invalid_input");
      assert.ok(error.message.length > 10, `${method}: a sentence, not a code`);
    }
    assert.equal(requests, 0);
  });
});
