// A bare page of the emulator's origin with the built package on it, for driving the SDK in
// Chromium (the demo page would start a client of its own).
import { writeFile } from "node:fs/promises";

/** Writes `harness.html` into the served `site` folder. */
export function writeHarness(site) {
  return writeFile(`${site}/harness.html`, `<!doctype html><script type="module">
    import * as sdk from "./pkg/index.js"; window.sdk = sdk;</script>`);
}

/** A page in `context` with `window.auth` made from `options`, recording its events in `window.heard`. */
export async function harnessPage(context, baseUrl, options = {}) {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/harness.html`);
  await page.waitForFunction(() => window.sdk);
  await page.evaluate(async (options) => {
    window.auth = await window.sdk.createAuth(options);
    window.heard = [];
    window.auth.onAuthStateChange((event) => window.heard.push(event));
  }, { baseUrl, autoRefresh: false, ...options });
  return page;
}

/** `auth[method](args)` in the page: `{ ok: true, value }` or `{ ok: false, error }`. */
export function call(page, method, args) {
  return page.evaluate(async ([method, args]) => {
    try {
      return { ok: true, value: await window.auth[method](args) };
    } catch (e) {
      const { name, code, status, message, errorCode } = e;
      return { ok: false, error: { name, code, status, message, errorCode, isFronteggError: e instanceof window.sdk.FronteggError } };
    }
  }, [method, args]);
}
