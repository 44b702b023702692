// End to end: a person uses the demo page in Chromium, against the emulator, with keyboard and
// mouse. Screenshots of every screen at laptop and phone size go to build/screenshots/, and
// every screen a flow reaches passes axe-core's WCAG 2.1 A/AA rules.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, beforeEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { assertAccessible } from "../support/axe.mjs";
import { launchChromium } from "../support/chromium.mjs";
import { dev as devApi, scanTotpSecret } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";

const site = fileURLToPath(new URL("../../build/site", import.meta.url));
const shots = fileURLToPath(new URL("../../build/screenshots", import.meta.url));
const password = "Demo-pass-123!";
let emu, browser, dev, origin;

before(async () => {
  await mkdir(shots, { recursive: true });
  emu = await startEmulator(["--serve", site]);
  dev = devApi(emu.url);
  // localhost, not 127.0.0.1: WebAuthn needs a domain, and the demo is opened this way.
  origin = emu.url.replace("127.0.0.1", "localhost");
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});
beforeEach(() => dev.reset());

async function openDemo(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const failures = [];
  page.on("pageerror", (e) => failures.push(e.message));
  await page.goto(origin);
  await page.getByLabel("Email", { exact: true }).waitFor();
  return { page, failures };
}

async function signIn(page, email = "demo@example.com") {
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

const signedIn = (page) => page.getByRole("heading", { name: "Signed in" }).waitFor();

/** Both sizes of the screen now shown. */
async function screenshot(page, name) {
  const size = page.viewportSize();
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: `${shots}/${name}-${viewport.width}x${viewport.height}.png` });
  }
  await page.setViewportSize(size);
}

test("sign in with email and password, see the profile, sign out", async () => {
  const { page, failures } = await openDemo();
  await screenshot(page, "signin");
  await assertAccessible(page, "sign-in");
  await signIn(page);
  await signedIn(page);
  assert.equal(await page.locator("#user-email").textContent(), "demo@example.com");
  // The profile arrives after the heading (its own request): wait for it, then check it.
  await page.waitForFunction(() => document.getElementById("profile-name")?.value !== "");
  assert.equal(await page.getByLabel("Name").inputValue(), "Demo User");
  await page.locator("#sessions-body tr").first().waitFor();
  await screenshot(page, "account");
  await assertAccessible(page, "account");

  // A reload restores the session through the httpOnly refresh cookie.
  await page.reload();
  await signedIn(page);
  const cookies = await page.context().cookies();
  assert.ok(cookies.find((c) => c.name.startsWith("fe_refresh_"))?.httpOnly, "an httpOnly refresh cookie");
  assert.equal(await page.evaluate(() => document.cookie.includes("fe_refresh_")), false);

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByLabel("Email", { exact: true }).waitFor();
  await page.reload();
  await page.getByLabel("Email", { exact: true }).waitFor();
  assert.deepEqual(failures, []);
});

test("errors are explained in words next to what caused them", async () => {
  const { page } = await openDemo();
  let requests = 0;
  page.on("request", (r) => r.url().includes("/identity/") && requests++);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  assert.match(await page.locator("#signin-error").textContent(), /Enter your email and password/);
  assert.equal(requests, 0, "empty fields are caught before any request");
  await assertAccessible(page, "sign-in, empty fields");

  await page.getByLabel("Email", { exact: true }).fill("demo@example.com");
  await page.getByLabel("Password", { exact: true }).fill("not-the-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByText("don't match an account").waitFor();
  await assertAccessible(page, "sign-in, wrong password");
});

test("keyboard only: tab to the fields, type, press Enter", async () => {
  const { page } = await openDemo();
  await page.keyboard.type("demo@example.com"); // the email field has focus on load
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await signedIn(page);
  assert.equal(await page.evaluate(() => document.activeElement.id), "account-title", "focus moved to the new screen");
});

test("password sign-in, add an authenticator app, sign out, sign in with its code", async () => {
  const { page } = await openDemo();
  await signIn(page);
  await signedIn(page);
  await page.getByRole("button", { name: "Add authenticator app" }).click();
  const qr = page.getByAltText("QR code for your authenticator app").nth(1);
  await qr.waitFor();
  const secret = scanTotpSecret(await qr.getAttribute("src"));
  await assertAccessible(page, "account, adding an authenticator app");
  await page.getByLabel("Code from the app").fill(await dev.totp(secret));
  await page.getByRole("button", { name: "Add app" }).click();
  await page.getByRole("heading", { name: "Save your recovery code" }).waitFor();
  assert.match(await page.locator("#recovery-value").textContent(), /\S{6,}/);
  await screenshot(page, "recovery-code");
  await assertAccessible(page, "recovery code");
  await page.getByRole("button", { name: "I saved it" }).click();
  await signedIn(page);
  await page.locator("#devices-list").getByText("Authenticator app", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  await signIn(page);
  await page.getByRole("heading", { name: "Two-step verification" }).waitFor();
  await screenshot(page, "mfa");
  await page.getByRole("button", { name: "Authenticator app" }).click();
  await page.getByLabel("Code from your authenticator app").waitFor();
  await assertAccessible(page, "MFA challenge");
  await page.getByText("Lost your device?").click();
  await page.getByLabel("Recovery code", { exact: true }).waitFor();
  await assertAccessible(page, "MFA challenge, recovery form open");
  // The code that confirmed the app can't be replayed: the next one is 30 s later.
  await fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 30 }) });
  await page.getByLabel("Code from your authenticator app").fill(await dev.totp(secret));
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await signedIn(page);

  // And remove it again, confirming with a fresh code typed inline.
  await page.getByRole("button", { name: "Remove Authenticator app" }).click();
  await fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: 30 }) });
  await assertAccessible(page, "account, removing a device");
  await page.getByLabel("Current code from the app").fill(await dev.totp(secret));
  await page.getByRole("button", { name: "Confirm removal" }).click();
  await page.getByText("Not set up yet.").waitFor();
});

test("forced enrollment shows the QR code as an image", async () => {
  await dev.config({ mfa: { enforce: "Force" } });
  const { page } = await openDemo();
  await signIn(page);
  await page.getByRole("heading", { name: "Set up two-step verification" }).waitFor();
  await page.getByRole("button", { name: "Authenticator app" }).click();
  const qr = page.locator("#enroll-qr");
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), "a real image");
  await screenshot(page, "enroll");
  await assertAccessible(page, "MFA enrolment");
  await page.locator("#enroll").getByLabel("Code", { exact: true }).fill(await dev.totp(scanTotpSecret(await qr.getAttribute("src"))));
  await page.getByRole("button", { name: "Finish setup" }).click();
  await page.getByRole("heading", { name: "Save your recovery code" }).waitFor();
});

test("passwordless: a code read from the outbox panel", async () => {
  const { page } = await openDemo();
  await page.getByLabel("Email", { exact: true }).fill("demo@example.com");
  await page.getByRole("button", { name: "Email me a code" }).click();
  const code = page.locator("#outbox .outbox-code").first();
  await code.waitFor();
  await assertAccessible(page, "passwordless, code sent");
  await page.getByLabel("One-time code").fill(await code.textContent());
  await page.getByRole("button", { name: "Verify code" }).click();
  await signedIn(page);
});

test("passwordless: a magic link opened from the outbox panel", async () => {
  const { page } = await openDemo();
  await page.getByLabel("Email", { exact: true }).fill("demo@example.com");
  await page.getByRole("button", { name: "Email me a link" }).click();
  await page.getByRole("button", { name: "Open link" }).first().waitFor();
  await assertAccessible(page, "passwordless, link sent");
  await page.getByRole("button", { name: "Open link" }).first().click();
  await signedIn(page);
});

test("revoke another session and see it fail to refresh; sign out everywhere", async () => {
  const first = await openDemo();
  await signIn(first.page);
  await signedIn(first.page);
  const second = await openDemo();
  await signIn(second.page);
  await signedIn(second.page);

  await first.page.reload();
  await signedIn(first.page);
  await first.page.getByRole("button", { name: /^Revoke session/ }).waitFor();
  await assertAccessible(first.page, "account, two sessions");
  await first.page.getByRole("button", { name: /^Revoke session/ }).click();
  await first.page.getByRole("button", { name: /^Revoke session/ }).waitFor({ state: "detached" });
  // The revoked tab finds out at its next refresh (here: a reload).
  await second.page.reload();
  await second.page.getByLabel("Email", { exact: true }).waitFor();

  await first.page.getByRole("button", { name: "Sign out everywhere" }).click();
  await first.page.getByLabel("Email", { exact: true }).waitFor();
});

test("switch tenant and see the token's claim change", async () => {
  const { page } = await openDemo();
  await signIn(page);
  await signedIn(page);
  assert.match(await page.locator("#claims").textContent(), /"tenantId": "tenant-acme"/);
  await page.getByLabel("Active account").selectOption("tenant-globex");
  await page.getByRole("button", { name: "Switch account" }).click();
  await page.locator("#claims", { hasText: '"tenantId": "tenant-globex"' }).waitFor();
  assert.equal(await page.locator("#user-tenant").textContent(), "tenant-globex");
});

test("add a passkey on the account screen, sign out, sign in with it alone", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // A platform authenticator that verifies the user, as Touch ID or Windows Hello would.
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(origin);
  await signIn(page);
  await signedIn(page);
  await page.getByRole("button", { name: "Add passkey" }).click();
  await page.locator("#passkeys-list").getByText("This device").waitFor();
  await assertAccessible(page, "account, with a passkey");
  await page.getByRole("button", { name: "Sign out", exact: true }).click();

  await assertAccessible(page, "sign-in, with passkeys");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await signedIn(page);
  assert.equal(await page.locator("#user-email").textContent(), "demo@example.com");
  await context.close();
});
