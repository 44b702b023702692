// End to end: a person signs in on the demo page in Chromium, against the emulator.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../support/chromium.mjs";
import { startEmulator } from "../support/emulator.mjs";

const site = fileURLToPath(new URL("../../build/site", import.meta.url));
let emu, browser;

before(async () => {
  emu = await startEmulator(["--serve", site]);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await emu?.stop();
});

async function openDemo() {
  const page = await browser.newPage();
  const failures = [];
  page.on("pageerror", (e) => failures.push(e.message));
  await page.goto(emu.url);
  await page.getByLabel("Email").waitFor();
  return { page, failures };
}

test("sign in with email and password, see the profile, sign out", async () => {
  const { page, failures } = await openDemo();
  await page.getByLabel("Email").fill("demo@example.com");
  await page.getByLabel("Password").fill("Demo-pass-123!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Signed in" }).waitFor();
  assert.equal(await page.locator("#user-email").textContent(), "demo@example.com");
  assert.equal(await page.locator("#user-name").textContent(), "Demo User");

  // A reload restores the session through the httpOnly refresh cookie.
  await page.reload();
  await page.getByRole("heading", { name: "Signed in" }).waitFor();
  const cookies = await page.context().cookies();
  const refresh = cookies.find((c) => c.name.startsWith("fe_refresh_"));
  assert.ok(refresh?.httpOnly, "the refresh token lives in an httpOnly cookie");
  assert.equal(await page.evaluate(() => document.cookie.includes("fe_refresh_")), false);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Email").waitFor();
  await page.reload();
  await page.getByLabel("Email").waitFor();
  assert.deepEqual(failures, []);
  await page.close();
});

test("a wrong password is explained in words", async () => {
  const { page } = await openDemo();
  await page.getByLabel("Email").fill("demo@example.com");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.locator("#signin-error");
  await alert.waitFor();
  assert.match(await alert.textContent(), /don't match an account/);
  await page.close();
});

test("empty fields are caught before any request", async () => {
  const { page } = await openDemo();
  let requests = 0;
  page.on("request", (r) => r.url().includes("/identity/") && requests++);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#signin-error").waitFor();
  assert.match(await page.locator("#signin-error").textContent(), /Enter your email and password/);
  assert.equal(requests, 0);
  await page.close();
});
