// The package in workerd (through miniflare): a Worker signs a machine in with an API token and
// keeps the session in Workers KV through the `storage` adapter, one fresh client per request.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { verifyAccessToken } from "../../pkg/node.js";
import { dev as devApi } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { startWorker } from "../support/workerd.mjs";

const apiToken = { clientId: "5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f", secret: "demo-api-secret-3f9a6c2e8b7d4105" };
const LOGIN = "/identity/resources/auth/v2/api-token";
const REFRESH = "/identity/resources/auth/v2/api-token/token/refresh";

let emu, dev, worker, kv, storageKey;
before(async () => {
  emu = await startEmulator();
  dev = devApi(emu.url);
  storageKey = `frontegg-auth-wasm:${emu.url}`;
  worker = startWorker(new URL("api-token-worker.js", import.meta.url), {
    bindings: { BASE_URL: emu.url },
    kvNamespaces: ["SESSIONS"],
  });
  kv = await worker.getKVNamespace("SESSIONS");
});
after(async () => {
  await worker?.dispose();
  await emu?.stop();
});
beforeEach(async () => {
  for (const { name } of (await kv.list()).keys) await kv.delete(name);
});

/** Sends a request to the Worker; resolves to [status, body]. */
async function call(method, path, body) {
  const init = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } };
  const response = await worker.dispatchFetch(`http://worker${path}`, init);
  return [response.status, await response.json()];
}

/** Like `call`, but the Worker must answer 200. */
async function ok(method, path, body) {
  const [status, answer] = await call(method, path, body);
  assert.equal(status, 200, `${method} ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** The snapshot the SDK wrote to KV, parsed; null when there is none. */
async function stored() {
  const { keys } = await kv.list();
  assert.ok(keys.length <= 1, `one snapshot at most, found ${JSON.stringify(keys)}`);
  if (!keys.length) return null;
  assert.equal(keys[0].name, storageKey, "the SDK's key for this identity host");
  return JSON.parse(await kv.get(storageKey));
}

/** Moves the emulator's clock on, so a refreshed token's `iat` is visibly later. */
const tick = (seconds = 2) =>
  fetch(`${emu.url}/emulator/v1/clock`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ advanceSeconds: seconds }) }).then((r) => {
    assert.equal(r.status, 200);
  });

test("loginWithApiToken writes the session to KV; a fresh client restores it without a request", async () => {
  const login = await ok("POST", "/login", apiToken);
  assert.deepEqual(login.calls, [LOGIN]);
  assert.deepEqual(login.events, ["SIGNED_IN"]);
  assert.equal(login.session.userId, apiToken.clientId, "an API-token session's user is the client id");
  assert.equal(login.session.tenantId, "tenant-acme");
  assert.ok(login.session.holdsRefreshToken, "server mode keeps the refresh token");
  assert.ok(login.session.expiresAt > Date.now());

  const snapshot = await stored();
  assert.equal(snapshot.accessToken, login.session.accessToken);
  assert.equal(snapshot.expiresAt, login.session.expiresAt);
  assert.match(snapshot.apiRefreshToken, /\S{20,}/, "the API refresh token is kept for the next invocation");

  const restored = await ok("GET", "/session");
  assert.deepEqual(restored.session, login.session, "the same session, from KV");
  assert.deepEqual(restored.calls, [], "an unexpired snapshot needs no request");
  assert.deepEqual(restored.events, ["SIGNED_IN"]);

  const verified = await ok("GET", "/verify");
  assert.equal(verified.claims.sub, apiToken.clientId);
  assert.equal(verified.claims.type, "tenantApiToken");
  assert.equal(verified.claims.tenantId, "tenant-acme");
  assert.equal(verified.claims.iss, emu.url);
});

test("POST /refresh rotates both tokens in KV; the new access token verifies and the old refresh token is spent", async () => {
  const login = await ok("POST", "/login", apiToken);
  const first = await stored();
  await tick();

  const refreshed = await ok("POST", "/refresh");
  assert.deepEqual(refreshed.calls, [REFRESH], "restored from KV, then one refresh request");
  assert.deepEqual(refreshed.events, ["SIGNED_IN", "TOKEN_REFRESHED"]);
  assert.equal(refreshed.before.accessToken, login.session.accessToken);
  assert.notEqual(refreshed.session.accessToken, login.session.accessToken, "a new access token");
  assert.equal(refreshed.session.userId, apiToken.clientId);

  const second = await stored();
  assert.equal(second.accessToken, refreshed.session.accessToken, "KV holds the refreshed session");
  assert.notEqual(second.apiRefreshToken, first.apiRefreshToken, "and the rotated refresh token");

  // The refreshed token is real: the Worker and Node both verify it against the JWKS.
  const verified = await ok("GET", "/verify");
  assert.equal(verified.claims.sub, apiToken.clientId);
  assert.ok(verified.claims.iat > JSON.parse(Buffer.from(login.session.accessToken.split(".")[1], "base64url")).iat);
  const claims = await verifyAccessToken(refreshed.session.accessToken, { baseUrl: emu.url, issuer: emu.url, tokenType: "api" });
  assert.equal(claims.type, "tenantApiToken");

  // A second refresh in yet another client works only if KV got the rotated refresh token:
  // presenting the spent one would revoke the whole family.
  await tick();
  const again = await ok("POST", "/refresh");
  assert.notEqual(again.session.accessToken, refreshed.session.accessToken);
  assert.notEqual((await stored()).apiRefreshToken, second.apiRefreshToken);

  const replay = await fetch(`${emu.url}${REFRESH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ refreshToken: first.apiRefreshToken }),
  });
  assert.equal(replay.status, 401, "the first refresh token was spent");
});

test("a fresh client whose stored access token has expired refreshes it from KV in restore()", async () => {
  await dev.config({ accessTokenTtlSeconds: 1 });
  try {
    const login = await ok("POST", "/login", apiToken);
    const first = await stored();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, login.session.expiresAt - Date.now()) + 200));
    await tick();

    const restored = await ok("GET", "/session");
    assert.deepEqual(restored.calls, [REFRESH], "the expired snapshot was refreshed with its refresh token");
    assert.notEqual(restored.session.accessToken, login.session.accessToken);
    assert.ok(restored.session.expiresAt > login.session.expiresAt);
    const second = await stored();
    assert.equal(second.accessToken, restored.session.accessToken);
    assert.notEqual(second.apiRefreshToken, first.apiRefreshToken);
  } finally {
    await dev.config({ accessTokenTtlSeconds: 300 });
  }
});

test("logout in a fresh client removes the snapshot from KV; the next one finds no session", async () => {
  await ok("POST", "/login", apiToken);
  assert.ok(await stored());
  const out = await ok("POST", "/logout");
  assert.equal(out.session, null);
  assert.deepEqual(out.calls, [], "no identity-API call ends a machine session: sign-out is local");
  assert.ok(out.events.includes("SIGNED_OUT"), JSON.stringify(out.events));
  assert.equal(await stored(), null, "sign-out removes the stored session");

  const restored = await ok("GET", "/session");
  assert.equal(restored.session, null);
  assert.deepEqual(restored.calls, [], "nothing stored, nothing to refresh with");
  assert.equal((await call("POST", "/refresh"))[0], 404);
});

test("a wrong secret is a FronteggError invalid_credentials inside the Worker, and nothing is stored", async () => {
  const [status, body] = await call("POST", "/login", { ...apiToken, secret: "not-the-secret" });
  assert.equal(status, 500);
  assert.deepEqual(body.calls, [LOGIN]);
  assert.equal(body.error.isFronteggError, true, "instanceof FronteggError in workerd");
  assert.equal(body.error.name, "FronteggError");
  assert.equal(body.error.code, "invalid_credentials", body.error.message);
  assert.equal(body.error.status, 401);
  assert.ok(body.error.message.length > 0);
  assert.deepEqual(body.events, []);
  assert.equal(await stored(), null);

  const [missingStatus, missing] = await call("POST", "/login", { clientId: apiToken.clientId });
  assert.equal(missingStatus, 500);
  assert.equal(missing.error.code, "invalid_input");
  assert.deepEqual(missing.calls, [], "bad input is refused before any request");
});
