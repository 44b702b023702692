// The official packages in a real page: `@frontegg/rest-api` (window.fe, window.restApi) and
// `@frontegg/redux-store` (window.rs: createStore and the WebAuthn encoders the login box uses),
// bundled unmodified with esbuild and served by the emulator from build/official-client. Pages
// open at http://localhost:PORT: WebAuthn needs a domain, not an IP address.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const site = fileURLToPath(new URL("../../build/official-client", import.meta.url));

/** Bundles both packages into `dir` (default `site`) with a page, `index.html`, that loads them. */
export async function buildOfficialPage(dir = site) {
  await mkdir(dir, { recursive: true });
  await build({
    stdin: {
      contents: `
        import fe from "@frontegg/rest-api";
        import * as restApi from "@frontegg/rest-api";
        import { createStore, publicKeyCredentialToJSON, base64urlDecode } from "@frontegg/redux-store";
        window.fe = fe;
        window.restApi = restApi;
        window.rs = { createStore, publicKeyCredentialToJSON, base64urlDecode };`,
      resolveDir: fileURLToPath(new URL(".", import.meta.url)),
    },
    bundle: true,
    format: "esm",
    outfile: `${dir}/client.js`,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "error",
  });
  await writeFile(`${dir}/index.html`, `<!doctype html><script type="module" src="client.js"></script>`);
}

/**
 * A fresh context and page (fresh cookies, fresh sessionStorage) at `origin` with the official
 * client pointed at it, as an app sets it up. `context` adds to the ContextHolder context.
 */
export async function officialPage(browser, origin, context = {}) {
  const browserContext = await browser.newContext();
  const page = await browserContext.newPage();
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.fe && window.rs);
  await page.evaluate(([baseUrl, extra]) => {
    window.fe.ContextHolder.default().setContext({ baseUrl, requestCredentials: "include", ...extra });
  }, [origin, context]);
  return page;
}

/**
 * `window.fe.api.<path>(...args)` in the page (e.g. "auth.loginv2"): `{ ok: true, value }`, or
 * `{ ok: false, error }` with what a caller reads from the client's `FronteggApiError`.
 */
export function call(page, path, ...args) {
  return page.evaluate(async ([path, args]) => {
    const [area, method] = path.split(".");
    try {
      return { ok: true, value: await window.fe.api[area][method](...args) };
    } catch (e) {
      const { statusCode, errorCode, errors, message } = e;
      return { ok: false, error: { name: e.constructor.name, statusCode, errorCode, errors, message } };
    }
  }, [path, args]);
}

/** `call` that must succeed; resolves the value. */
export async function ok(page, path, ...args) {
  const result = await call(page, path, ...args);
  assert.ok(result.ok, `${path}: ${JSON.stringify(result.error)}`);
  return result.value;
}

/** `call` that must fail with `statusCode` (and `errorCode` when given); resolves the error. */
export async function fails(page, path, args, statusCode, errorCode) {
  const result = await call(page, path, ...args);
  assert.equal(result.ok, false, `${path} should fail with ${statusCode}`);
  assert.equal(result.error.name, "FronteggApiError");
  assert.equal(result.error.statusCode, statusCode, result.error.message);
  assert.match(result.error.errorCode ?? "", /^ER-\d{5}$/, "the server's errorCode reached the caller");
  if (errorCode) assert.equal(result.error.errorCode, errorCode);
  assert.ok(result.error.message, "a message from the server's errors");
  return result.error;
}

/**
 * A redux-store store in the page (`window.store`), the login box's state machine, created as
 * an app does with `createStore`; its redirects are recorded in `window.redirects`.
 */
export function createReduxStore(page) {
  return page.evaluate(() => {
    window.redirects = [];
    const context = window.fe.ContextHolder.default().getContext();
    window.store = window.rs.createStore({ name: "default", context, storeHolder: {} });
    window.store.store.auth.onRedirectTo = (path) => window.redirects.push(path);
  });
}

/**
 * Runs redux-store action `name(payload)` and waits for its callback (or for the action's
 * promise when it has none): resolves `{ args, auth }`, the callback's arguments and a plain
 * copy of the auth state afterwards (no functions).
 */
export function action(page, name, payload = {}) {
  return page.evaluate(async ([name, payload]) => {
    const args = await new Promise((resolve, reject) => {
      const done = window.store.actions[name]({ ...payload, callback: (...a) => resolve(a) });
      Promise.resolve(done).then(() => setTimeout(() => resolve(null), 0), reject);
    });
    const auth = JSON.parse(JSON.stringify(window.store.store.auth, (_, v) => (typeof v === "function" ? undefined : v)));
    return { args: JSON.parse(JSON.stringify(args ?? null)), auth };
  }, [name, payload]);
}

/** A virtual authenticator in `page`'s browser context (Chromium's CDP WebAuthn domain). */
export async function authenticator(page, options) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", automaticPresenceSimulation: true, ...options },
  });
}

/** A platform authenticator that holds passkeys and verifies the user. */
export const PLATFORM = { transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true };
