// The official client, unmodified, against the emulator in Chromium: `@frontegg/rest-api` for
// every call of the flows we cover, and `@frontegg/redux-store` (the login box's state machine)
// where its actions run without a UI. Each test asserts what the caller reads: tokens, the MFA
// step and devices, tenants, and errors (`FronteggApiError` with the status and `errorCode`).
// docs/fidelity.md lists each call with the oracle that checks it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { launchChromium } from "../support/chromium.mjs";
import { dev as devApi, scanTotpSecret } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";
import {
  action, authenticator, buildOfficialPage, call, createReduxStore, fails, officialPage, ok, PLATFORM, site,
} from "./support.mjs";

const password = "Demo-pass-123!";
const demo = { email: "demo@example.com", password };
const mfaUser = { email: "mfa@example.com", password };
let emu, origin, browser, dev, page;

before(async () => {
  await buildOfficialPage();
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
  await page?.context().close();
  await dev.reset();
  page = await officialPage(browser, origin);
});

const cookies = () => page.context().cookies();
const refreshCookie = async () => (await cookies()).find((c) => c.name.startsWith("fe_refresh_"));

/** Signs in with `loginv2` and checks the answer a signed-in caller reads. */
async function signIn(credentials = demo) {
  const { user, tenants, activeTenant } = await ok(page, "auth.loginv2", credentials);
  assert.equal(user.mfaRequired, false);
  assert.match(user.accessToken, /^ey/);
  return { user, tenants, activeTenant };
}

/** The newest message the emulator "sent" to `to` of `kind`. */
async function message(to, kind) {
  const m = await dev.lastMessage(to);
  assert.equal(m.kind, kind);
  return m;
}

describe("password sign-in", () => {
  test("login: tokens, the /users/v2/me profile merged in, an httpOnly refresh cookie", async () => {
    const user = await ok(page, "auth.login", demo);
    assert.equal(user.mfaRequired, false);
    assert.match(user.accessToken, /^ey/);
    assert.equal(user.email, demo.email, "merged from users/v2/me");
    assert.equal(user.tenantIds.length, 2);
    assert.ok(user.roles.some((r) => r.key === "Admin"));
    const cookie = await refreshCookie();
    assert.ok(cookie?.httpOnly, "httpOnly refresh cookie");
    assert.equal((await ok(page, "auth.getMeV2")).email, demo.email);
  });

  test("loginv2: user, tenants and the active tenant from users/v3/me/tenants", async () => {
    const { user, tenants, activeTenant } = await signIn();
    assert.deepEqual(tenants.map((t) => t.tenantId).sort(), ["tenant-acme", "tenant-globex"]);
    assert.equal(activeTenant.tenantId, user.tenantId);
    for (const t of tenants) assert.equal(typeof t.name, "string");
  });

  test("a wrong password and an unknown user: 401 FronteggApiError with the server's message", async () => {
    const wrong = await fails(page, "auth.loginv2", [{ ...demo, password: "wrong" }], 401);
    assert.match(wrong.message, /Incorrect email or password/);
    await fails(page, "auth.loginv2", [{ email: "nobody@example.com", password }], 401);
  });

  test("redux-store's login action signs in and lands authenticated", async () => {
    await createReduxStore(page);
    const { auth } = await action(page, "login", demo);
    assert.equal(auth.isAuthenticated, true, JSON.stringify(auth.loginState?.error));
    assert.equal(auth.user.email, demo.email);
    assert.equal(auth.tenantsState.tenants.length, 2);
  });
});

describe("what a sign-in loads", () => {
  test("getMeAndEntitlements with entitlements and authorization on", async () => {
    await page.evaluate(() => {
      window.fe.ContextHolder.default().setEntitlementsOptions({ enabled: true });
      window.restApi.FeatureFlags.set({ admin_portal_should_load_authorization: "on" }, "default");
    });
    const { user } = await signIn();
    assert.equal(user.entitlements.permissions["fe.secure.read.*"], true, "entitlements v2 answered");
    assert.deepEqual(user.entitlements.features, {});
    assert.ok(user.permissions.some((p) => p.key === "fe.secure.read.*"), "users/v1/me/authorization");
  });

  test("users/v1, v2 and v3 me/tenants", async () => {
    await signIn();
    const v1 = await ok(page, "users.getCurrentUserTenantsV1");
    const v3 = await ok(page, "users.getCurrentUserTenantsV3");
    for (const answer of [v1, v3]) {
      assert.equal(answer.tenants.length, 2);
      assert.equal(answer.activeTenant.tenantId, "tenant-acme");
    }
    const v2 = await ok(page, "tenants.getTenants");
    assert.deepEqual(v2.map((t) => t.tenantId).sort(), ["tenant-acme", "tenant-globex"]);
  });
});

describe("session", () => {
  test("refreshToken and refreshTokenV3: new tokens, the same user, the cookie rotated", async () => {
    await signIn();
    const before = await refreshCookie();
    const v1 = await ok(page, "auth.refreshToken");
    assert.match(v1.accessToken, /^ey/);
    assert.equal(v1.email, demo.email);
    const v3 = await ok(page, "auth.refreshTokenV3");
    assert.match(v3.user.accessToken, /^ey/);
    assert.equal(v3.activeTenant.tenantId, v3.user.tenantId);
    assert.notEqual((await refreshCookie()).value, before.value, "rotated");
  });

  test("tenant switch, then refresh: the session's tenant follows; per-tab tenants send it", async () => {
    await signIn();
    await ok(page, "tenants.switchTenant", { tenantId: "tenant-globex" });
    const { user, activeTenant } = await ok(page, "auth.refreshTokenV3");
    assert.equal(user.tenantId, "tenant-globex");
    assert.equal(activeTenant.tenantId, "tenant-globex");
    await fails(page, "tenants.switchTenant", [{ tenantId: "tenant-nope" }], 403);

    // With sessions per tenant, the tab's tenant travels in the refresh body.
    await page.evaluate(() => {
      window.fe.ContextHolder.default().setSessionContext({ enableSessionPerTenant: true });
      sessionStorage.setItem("FRONTEGG_SEPARATE_TABS_BY_TENANT", "tenant-acme");
    });
    const perTab = await ok(page, "auth.refreshTokenV3");
    assert.equal(perTab.user.tenantId, "tenant-acme");
  });

  test("logout: the refresh cookie stops working", async () => {
    await signIn();
    await ok(page, "auth.logout");
    await fails(page, "auth.refreshToken", [], 401);
  });

  test("redux-store: switchTenant then its refresh; logout then its requestAuthorize", async () => {
    await createReduxStore(page);
    await action(page, "login", demo);
    const switched = await action(page, "switchTenant", { tenantId: "tenant-globex" });
    assert.equal(switched.auth.user.tenantId, "tenant-globex", JSON.stringify(switched.args));
    // redux-store's logout takes its callback as the argument itself.
    const signedOut = await page.evaluate(
      () => new Promise((resolve) => window.store.actions.logout(() => resolve(window.store.store.auth.isAuthenticated))),
    );
    assert.equal(signedOut, false);
    await fails(page, "auth.refreshToken", [], 401);
  });

  test("sessions: list, current, revoke one, revoke the others", async () => {
    await signIn();
    const other = await officialPage(browser, origin);
    await ok(other, "auth.loginv2", demo);
    const list = await ok(page, "auth.getCurrentUserSessions");
    assert.equal(list.length, 2);
    const current = await ok(page, "auth.getCurrentUserSession");
    assert.equal(current.current, true);
    assert.ok(list.some((s) => s.id === current.id));
    const otherId = list.find((s) => s.id !== current.id).id;
    await ok(page, "auth.deleteSessionForUser", otherId);
    await fails(other, "auth.refreshToken", [], 401);
    await ok(other, "auth.loginv2", demo);
    await ok(page, "auth.deleteAllSessionsForUser");
    await fails(other, "auth.refreshToken", [], 401);
    assert.equal((await ok(page, "auth.getCurrentUserSessions")).length, 1);
    await other.context().close();
  });
});

describe("MFA during login", () => {
  test("authenticator app: loginWithMfaV2; remember-device allowed, then skipped", async () => {
    await dev.config({ mfa: { allowRememberDevice: true } });
    const first = await ok(page, "auth.loginv2", mfaUser);
    assert.equal(first.user.mfaRequired, true);
    assert.ok(first.user.mfaToken);
    assert.equal(first.user.accessToken, undefined);
    assert.equal(first.user.mfaDevices.authenticators.length, 1);
    const policy = await ok(page, "auth.checkIfAllowToRememberMfaDevice", first.user.mfaToken);
    assert.equal(policy.isAllowedToRemember, true);
    assert.equal(typeof policy.mfaDeviceExpiration, "number");
    const value = await dev.totp("JBSWY3DPEHPK3PXP");
    const { user } = await ok(page, "auth.loginWithMfaV2", { mfaToken: first.user.mfaToken, value, rememberDevice: true });
    assert.match(user.accessToken, /^ey/);
    assert.equal(user.email, mfaUser.email);
    assert.ok((await cookies()).some((c) => c.name.startsWith("fe_device_") && c.httpOnly), "remembered");
    await ok(page, "auth.logout");
    const again = await signIn(mfaUser);
    assert.equal(again.user.email, mfaUser.email, "the remembered device skips MFA");
  });

  test("remember-device not allowed: the policy says so", async () => {
    await dev.config({ mfa: { allowRememberDevice: false } });
    const first = await ok(page, "auth.loginv2", mfaUser);
    const policy = await ok(page, "auth.checkIfAllowToRememberMfaDevice", first.user.mfaToken);
    assert.equal(policy.isAllowedToRemember, false);
  });

  test("authenticator app by device id, and a wrong code", async () => {
    const first = await ok(page, "auth.loginv2", mfaUser);
    const deviceId = first.user.mfaDevices.authenticators[0].id;
    await fails(page, "auth.loginWithMfaV2", [{ mfaToken: first.user.mfaToken, value: "000000" }], 400);
    const value = await dev.totp("JBSWY3DPEHPK3PXP");
    const answer = await ok(page, "auth.verifyMFAAuthenticatorAppForLogin", deviceId, { mfaToken: first.user.mfaToken, value });
    assert.match(answer.accessToken, /^ey/);
  });

  test("SMS: pre-verify sends a code, verify signs in", async () => {
    await dev.createUser({ email: "sms@example.com", phoneNumber: "+15550123", phoneNumberType: "mfa" });
    const first = await ok(page, "auth.loginv2", { email: "sms@example.com", password });
    assert.equal(first.user.mfaRequired, true);
    const phone = first.user.mfaDevices.phones[0];
    assert.ok(phone.id && phone.phoneNumber);
    const sent = await ok(page, "auth.preVerifyMFASMSForLogin", phone.id, { mfaToken: first.user.mfaToken });
    assert.ok(sent.otcToken);
    const { code } = await message("+15550123", "mfa_sms_code");
    const { user } = await ok(page, "auth.verifyMFASMSForLoginV2", phone.id, { mfaToken: first.user.mfaToken, otcToken: sent.otcToken, code });
    assert.match(user.accessToken, /^ey/);
  });

  test("email code: pre-verify sends it, verify signs in", async () => {
    await dev.config({ mfa: { strategies: ["AuthenticatorApp", "EmailCode"] } });
    const first = await ok(page, "auth.loginv2", mfaUser);
    assert.equal(first.user.mfaDevices.emails[0].email, mfaUser.email);
    const sent = await ok(page, "auth.preVerifyMFAEmailCode", { mfaToken: first.user.mfaToken });
    assert.ok(sent.otcToken);
    const { code } = await message(mfaUser.email, "mfa_email_code");
    const { user } = await ok(page, "auth.verifyMFAEmailCodeV2", { mfaToken: first.user.mfaToken, otcToken: sent.otcToken, code });
    assert.match(user.accessToken, /^ey/);
  });

  test("enrollment forced by policy: authenticator app, recovery code, then recover", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await dev.createUser({ email: "new@example.com" });
    const first = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    assert.equal(first.user.mfaRequired, true);
    assert.equal(first.user.mfaEnrolled, false);
    assert.ok(Array.isArray(first.user.mfaStrategies), "redux-store picks the step from mfaStrategies");
    for (const kind of ["webauthn", "phones", "authenticators", "emails"]) {
      assert.ok(Array.isArray(first.user.mfaDevices[kind]), `mfaDevices.${kind}: redux-store reads all four`);
    }
    // The login box shows the QR code of the login answer; rest-api also has a call for it.
    assert.match(first.user.qrCode ?? "", /^data:image\/png;base64,/, "qrCode in the enrollment answer");
    const { qrCode } = await ok(page, "auth.preEnrollMFAAuthenticatorAppForLogin", { mfaToken: first.user.mfaToken });
    const secret = scanTotpSecret(qrCode);
    assert.notEqual(secret, scanTotpSecret(first.user.qrCode), "pre-enroll proposes a fresh secret");
    const token = await dev.totp(secret);
    const { user } = await ok(page, "auth.enrollMFAAuthenticatorAppForLoginV2", { mfaToken: first.user.mfaToken, token });
    assert.match(user.accessToken, /^ey/);
    assert.ok(user.recoveryCode, "the recovery code is shown once");

    await ok(page, "auth.logout");
    const again = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    assert.equal(again.user.mfaEnrolled, true);
    await fails(page, "auth.recoverMfaToken", [{ email: "new@example.com", recoveryCode: "WRONG-CODE" }], 400);
    await ok(page, "auth.recoverMfaToken", { email: "new@example.com", recoveryCode: user.recoveryCode });
    const after = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    assert.equal(after.user.mfaEnrolled, false, "recovery removed the lost device");
  });

  test("enrollment forced by policy, as the login box does it: the answer's QR, then mfa/verify", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await dev.createUser({ email: "new@example.com" });
    const first = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    const value = await dev.totp(scanTotpSecret(first.user.qrCode));
    const { user } = await ok(page, "auth.loginWithMfaV2", { mfaToken: first.user.mfaToken, value });
    assert.match(user.accessToken, /^ey/);
    assert.ok(user.recoveryCode, "redux-store's verifyMfaAfterForce shows it");
  });

  test("enrollment forced by policy: SMS", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await dev.createUser({ email: "new@example.com" });
    const first = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    const sent = await ok(page, "auth.preEnrollMFASMSForLogin", { mfaToken: first.user.mfaToken, phoneNumber: "+15550177" });
    assert.ok(sent.otcToken);
    const { code } = await message("+15550177", "mfa_sms_code");
    const { user } = await ok(page, "auth.enrollMFASMSForLoginV2", { mfaToken: first.user.mfaToken, otcToken: sent.otcToken, code });
    assert.match(user.accessToken, /^ey/);
  });
});

describe("MFA settings", () => {
  test("authenticator app as redux-store does it: mfa/enroll, mfa/enroll/verify, mfa/disable", async () => {
    await signIn();
    const { qrCode } = await ok(page, "auth.enrollMfa");
    const secret = scanTotpSecret(qrCode);
    const verified = await ok(page, "auth.verifyMfa", { token: await dev.totp(secret) });
    assert.ok(verified.recoveryCode, "redux-store shows the recovery code");
    assert.equal((await ok(page, "auth.getMFADevices")).authenticators.length, 1);
    await fails(page, "auth.disableMfa", [{ token: "000000" }], 400);
    await dev.clockAdvance(30);
    await ok(page, "auth.disableMfa", { token: await dev.totp(secret) });
    assert.equal((await ok(page, "auth.getMFADevices")).authenticators.length, 0);
  });

  test("authenticator app through rest-api's per-device calls: enroll, list, disable", async () => {
    await signIn();
    const { qrCode } = await ok(page, "auth.preEnrollMFAAuthenticatorApp");
    const secret = scanTotpSecret(qrCode);
    const enrolled = await ok(page, "auth.enrollMFAAuthenticatorApp", { token: await dev.totp(secret) });
    assert.ok(enrolled.recoveryCode);
    const devices = await ok(page, "auth.getMFADevices");
    assert.equal(devices.authenticators.length, 1);
    await dev.clockAdvance(30);
    await ok(page, "auth.disableMFAAuthenticatorApp", devices.authenticators[0].id, { token: await dev.totp(secret) });
    assert.equal((await ok(page, "auth.getMFADevices")).authenticators.length, 0);
  });

  test("SMS: enroll with a code, list, disable with a code", async () => {
    await signIn();
    const sent = await ok(page, "auth.preEnrollMFASMS", { phoneNumber: "+15550188" });
    assert.ok(sent.otcToken);
    const { code } = await message("+15550188", "mfa_sms_code");
    const enrolled = await ok(page, "auth.enrollMFASMS", { otcToken: sent.otcToken, code });
    assert.ok(enrolled.recoveryCode, "redux-store reads recoveryCode here, against rest-api's void typing");
    const devices = await ok(page, "auth.getMFADevices");
    assert.equal(devices.phones.length, 1);
    const phoneId = devices.phones[0].id;
    const disabling = await ok(page, "auth.preDisableMFASMS", phoneId);
    assert.ok(disabling.otcToken);
    const second = await message("+15550188", "mfa_sms_code");
    await ok(page, "auth.disableMFASMS", phoneId, { otcToken: disabling.otcToken, code: second.code });
    assert.equal((await ok(page, "auth.getMFADevices")).phones.length, 0);
  });
});

describe("passwordless, through redux-store's actions", () => {
  beforeEach(() => createReduxStore(page));

  test("email code: prelogin, then postlogin with the code alone", async () => {
    const pre = await action(page, "passwordlessPreLogin", { type: "Code", email: demo.email });
    assert.equal(pre.auth.loginState.error, undefined);
    const { code } = await message(demo.email, "otc");
    const wrong = await action(page, "passwordlessPostLogin", { type: "Code", token: code === "000000" ? "111111" : "000000" });
    assert.equal(wrong.auth.isAuthenticated, false);
    assert.ok(wrong.auth.loginState.error, "the error reaches the login box");
    const post = await action(page, "passwordlessPostLogin", { type: "Code", token: code });
    assert.equal(post.auth.isAuthenticated, true, JSON.stringify(post.auth.loginState.error));
    assert.equal(post.auth.user.email, demo.email);
  });

  test("magic link: the token from the link", async () => {
    await action(page, "passwordlessPreLogin", { type: "MagicLink", email: demo.email });
    const { token, link } = await message(demo.email, "magic_link");
    assert.ok(link.includes(token));
    const post = await action(page, "passwordlessPostLogin", { type: "MagicLink", token });
    assert.equal(post.auth.isAuthenticated, true, JSON.stringify(post.auth.loginState.error));
  });

  test("SMS code by phone number: the login box keeps the phoneNumber it was answered", async () => {
    await dev.createUser({ email: "sms@example.com", phoneNumber: "+15550144" });
    const pre = await action(page, "passwordlessPreLogin", { type: "SmsCode", phoneNumber: "+15550144" });
    assert.equal(pre.auth.loginState.phoneNumber, "+15550144");
    const { code } = await message("+15550144", "sms_code");
    const post = await action(page, "passwordlessPostLogin", { type: "SmsCode", token: code });
    assert.equal(post.auth.isAuthenticated, true, JSON.stringify(post.auth.loginState.error));
    assert.equal(post.auth.user.email, "sms@example.com");
  });

  test("rest-api directly: passwordlessPostLoginV2 with { type, token }", async () => {
    await ok(page, "auth.passwordlessPreLogin", { type: "Code", email: demo.email });
    const { code } = await message(demo.email, "otc");
    const { user, tenants } = await ok(page, "auth.passwordlessPostLoginV2", { type: "Code", token: code });
    assert.match(user.accessToken, /^ey/);
    assert.equal(tenants.length, 2);
  });

  test("MFA still applies: the login box moves to the MFA step", async () => {
    await action(page, "passwordlessPreLogin", { type: "Code", email: mfaUser.email });
    const { code } = await message(mfaUser.email, "otc");
    const post = await action(page, "passwordlessPostLogin", { type: "Code", token: code });
    assert.equal(post.auth.isAuthenticated, false);
    assert.ok(post.auth.mfaState?.mfaToken ?? post.auth.loginState?.mfaToken, "an MFA token for the next step");
  });
});

describe("sign-up", () => {
  test("with a password: signed in at once", async () => {
    const answer = await ok(page, "auth.signUpUser", { email: "fresh@example.com", password, name: "Fresh", companyName: "Fresh Co" });
    assert.equal(answer.shouldActivate, false);
    assert.ok(answer.userId && answer.tenantId);
    assert.match(answer.user.accessToken, /^ey/);
    assert.equal(answer.activeTenant.tenantId, answer.tenantId);
    await fails(page, "auth.signUpUser", [{ email: "fresh@example.com", password, companyName: "Again" }], 409);
  });

  test("without a password: activation by the emailed link, then sign-in", async () => {
    const answer = await ok(page, "auth.signUpUser", { email: "later@example.com", name: "Later", companyName: "Later Co" });
    assert.equal(answer.shouldActivate, true);
    assert.equal(answer.user, undefined);
    const { token } = await message("later@example.com", "activation");
    const activated = await ok(page, "auth.activateAccountV2", { userId: answer.userId, token, password });
    assert.match(activated.user.accessToken, /^ey/);
    await ok(page, "auth.logout");
    await signIn({ email: "later@example.com", password });
  });
});

describe("passwords and profile", () => {
  test("change, forget and reset the password", async () => {
    await signIn();
    const newPassword = "Changed-pass-456!";
    await fails(page, "teams.changePassword", [{ password: "wrong", newPassword }], 400);
    await ok(page, "teams.changePassword", { password, newPassword });
    await ok(page, "auth.logout");
    await signIn({ email: demo.email, password: newPassword });

    await ok(page, "auth.forgotPassword", { email: demo.email });
    const reset = await message(demo.email, "password_reset");
    const userId = new URL(reset.link).searchParams.get("userId");
    await ok(page, "auth.resetPassword", { userId, token: reset.token, password });
    await fails(page, "auth.resetPassword", [{ userId, token: reset.token, password }], 400);
    await signIn(demo);
  });

  test("profile: read and update as redux-store saves it (the whole profile back, changed)", async () => {
    await signIn();
    const me = await ok(page, "auth.getMeAndEntitlements");
    await ok(page, "users.updateUserProfileV2", { ...me, name: "Renamed" });
    assert.equal((await ok(page, "auth.getMeV2")).name, "Renamed");
    const updated = await ok(page, "users.updateUserProfileV2", { name: "Again" });
    assert.equal(updated.name, "Again");
    assert.equal((await ok(page, "teams.getProfile")).name, "Again");
    await fails(page, "teams.updateProfile", [{ phoneNumber: "not a phone" }], 400);
  });
});

describe("passkeys (WebAuthn as the first factor)", () => {
  /** Runs create() or get() in the page on server options, decoded as redux-store does. */
  function ceremony(kind, options) {
    return page.evaluate(async ([kind, options]) => {
      const decode = window.rs.base64urlDecode;
      options.challenge = decode(options.challenge);
      if (kind === "create") {
        options.user.id = decode(options.user.id);
        options.excludeCredentials = [];
        return window.rs.publicKeyCredentialToJSON(await navigator.credentials.create({ publicKey: options }));
      }
      options.allowCredentials = options.allowCredentials?.map((c) => ({ ...c, id: decode(c.id) }));
      return window.rs.publicKeyCredentialToJSON(await navigator.credentials.get({ publicKey: options }));
    }, [kind, options]);
  }

  test("register from settings, list, sign in with it, remove it", async () => {
    await authenticator(page, PLATFORM);
    await signIn();
    const { options } = await ok(page, "auth.webAuthnCreateNewDeviceSession");
    assert.ok(options.challenge && options.user?.id, "{ options } with the creation options");
    const created = await ceremony("create", options);
    // redux-store reads nothing from this answer: it must just succeed.
    await ok(page, "auth.verifyNewDeviceSession", { id: created.id, response: created.response, deviceType: "Platform" });
    const devices = await ok(page, "auth.getWebAuthnDevices");
    assert.equal(devices.devices?.length ?? devices.length, 1);
    await ok(page, "auth.logout");

    const pre = await ok(page, "auth.webAuthnPreLogin", { email: demo.email });
    assert.ok(pre.options.challenge, "{ options }, as redux-store reads it");
    const asserted = await ceremony("get", pre.options);
    const { user } = await ok(page, "auth.webAuthnPostLoginV2", {
      ...asserted,
      response: { ...asserted.response, userHandle: asserted.response.userHandle ?? undefined },
    });
    assert.match(user.accessToken, /^ey/);
    assert.equal(user.email, demo.email);

    const id = (devices.devices ?? devices)[0].id;
    await ok(page, "auth.deleteWebAuthnDevice", id);
    const left = await ok(page, "auth.getWebAuthnDevices");
    assert.equal(left.devices?.length ?? left.length, 0);
  });

  test("WebAuthn as the second factor: enroll in settings, verify during login", async () => {
    await authenticator(page, PLATFORM);
    await signIn();
    const start = await ok(page, "auth.preEnrollMFAWebAuthn");
    assert.ok(start.webauthnToken && start.options.challenge);
    const created = await ceremony("create", start.options);
    // redux-store sends the raw credential as `publicKey` beside its JSON form in `options`.
    const enrolled = await ok(page, "auth.enrollMFAWebAuthn", {
      webauthnToken: start.webauthnToken, deviceType: "Platform", publicKey: {}, options: created,
    });
    assert.ok(enrolled.recoveryCode, "redux-store reads recoveryCode here, against rest-api's void typing");
    const devices = await ok(page, "auth.getMFADevices");
    assert.equal(devices.webauthn.length, 1);
    await ok(page, "auth.logout");

    const first = await ok(page, "auth.loginv2", demo);
    assert.equal(first.user.mfaRequired, true);
    const deviceId = first.user.mfaDevices.webauthn[0].id;
    const challenge = await ok(page, "auth.preVerifyMFAWebAuthnForLogin", deviceId, { mfaToken: first.user.mfaToken });
    const asserted = await ceremony("get", challenge.options);
    const { user } = await ok(page, "auth.verifyMFAWebAuthnForLoginV2", deviceId, {
      mfaToken: first.user.mfaToken, webauthnToken: challenge.webauthnToken, publicKey: {}, options: asserted,
    });
    assert.match(user.accessToken, /^ey/);

    // Disabling it from settings takes a fresh assertion, as redux-store's disableMfaWebAuthn.
    const disabling = await ok(page, "auth.preDisableMFAWebAuthn", deviceId);
    assert.ok(disabling.webauthnToken && disabling.options.challenge);
    const proof = await ceremony("get", disabling.options);
    await ok(page, "auth.disableMFAWebAuthn", deviceId, { webauthnToken: disabling.webauthnToken, publicKey: {}, options: proof });
    assert.equal((await ok(page, "auth.getMFADevices")).webauthn.length, 0);
  });

  test("WebAuthn enrollment forced by policy during login", async () => {
    await dev.config({ mfa: { enforce: "Force" } });
    await dev.createUser({ email: "new@example.com" });
    await authenticator(page, PLATFORM);
    const first = await ok(page, "auth.loginv2", { email: "new@example.com", password });
    assert.ok(first.user.mfaStrategies.includes("WebAuthnPlatform"));
    const start = await ok(page, "auth.preEnrollMFAWebAuthnForLogin", { mfaToken: first.user.mfaToken });
    assert.ok(start.webauthnToken && start.options.challenge);
    const created = await ceremony("create", start.options);
    const { user } = await ok(page, "auth.enrollMFAWebAuthnForLoginV2", {
      mfaToken: first.user.mfaToken, webauthnToken: start.webauthnToken, deviceType: "Platform", publicKey: {}, options: created,
    });
    assert.match(user.accessToken, /^ey/);
    assert.ok(user.recoveryCode);
  });
});

test("a call without a session is a 401 the client reports, not a crash", async () => {
  const result = await call(page, "auth.getMeV2");
  assert.equal(result.ok, false);
  assert.equal(result.error.statusCode, 401);
});
