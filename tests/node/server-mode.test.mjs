// The built npm package in Node 20 (server mode: the SDK keeps the refresh cookie itself).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { promisify } from "node:util";
import { createAuth, verifyAccessToken } from "../../pkg/node.js";
import { startEmulator } from "../support/emulator.mjs";
import { rejects } from "../support/rejects.mjs";

const demo = { email: "demo@example.com", password: "Demo-pass-123!" };
let emu;
before(async () => (emu = await startEmulator()));
after(async () => emu?.stop());

describe("server mode against the emulator", () => {
  test("login, profile, refresh, restore, logout", async () => {
    const auth = await createAuth({ baseUrl: emu.url });
    assert.equal(auth.session, null);
    const result = await auth.login(demo);
    assert.equal(result.status, "authenticated");
    const { session } = result;
    assert.equal(session.user.email, demo.email);
    assert.deepEqual(session.user.tenantIds.length, 2);
    assert.ok(session.expiresAt > Date.now());
    assert.ok(session.refreshToken, "server mode keeps the refresh token");
    assert.deepEqual(auth.session, session);

    const profile = await auth.getProfile();
    assert.equal(profile.email, demo.email);
    assert.equal(profile.id, session.user.id);

    const refreshed = await auth.refresh();
    assert.notEqual(refreshed.refreshToken, session.refreshToken, "refresh tokens rotate");
    assert.deepEqual(await auth.restore(), refreshed);

    await auth.logout();
    assert.equal(auth.session, null);
    await rejects(auth.refresh(), "session_expired");
    await rejects(auth.getProfile(), "unauthorized");
    assert.equal(await auth.restore(), null);
  });

  test("concurrent refreshes share one request and keep the session alive", async () => {
    const auth = await createAuth({ baseUrl: emu.url });
    await auth.login(demo);
    const sessions = await Promise.all(Array.from({ length: 20 }, () => auth.refresh()));
    assert.equal(new Set(sessions.map((s) => s.refreshToken)).size, 1);
    assert.equal((await auth.getProfile()).email, demo.email);
  });

  test("wrong password and unknown user are the same invalid_credentials", async () => {
    const auth = await createAuth({ baseUrl: emu.url });
    const wrong = await rejects(auth.login({ ...demo, password: "nope" }), "invalid_credentials");
    const unknown = await rejects(auth.login({ email: "nobody@example.com", password: "nope" }), "invalid_credentials");
    assert.equal(wrong.message, unknown.message);
    assert.equal(wrong.status, 401);
    assert.match(wrong.traceId, /\S/);
  });

  test("onAuthStateChange hears sign-in, refresh and sign-out; a throwing listener breaks nothing", async () => {
    const auth = await createAuth({ baseUrl: emu.url });
    const heard = [];
    const stop = auth.onAuthStateChange((event, session) => heard.push([event, session?.user.email ?? null]));
    auth.onAuthStateChange(() => {
      throw new Error("a broken listener");
    });
    await auth.login(demo);
    await auth.refresh();
    await auth.logout();
    stop();
    stop(); // a second time does nothing
    await auth.login(demo);
    assert.deepEqual(heard, [
      ["SIGNED_IN", demo.email],
      ["TOKEN_REFRESHED", demo.email],
      ["SIGNED_OUT", null],
    ]);
    await rejects(Promise.resolve().then(() => auth.onAuthStateChange("not a function")), "invalid_input");
  });

  test("the injected fetch carries every request", async () => {
    const seen = [];
    const auth = await createAuth({
      baseUrl: emu.url,
      fetch: (req, init) => {
        seen.push(new URL(req.url ?? req).pathname);
        return fetch(req, init);
      },
    });
    await auth.login(demo);
    await auth.getProfile();
    assert.deepEqual(seen, ["/identity/resources/auth/v1/user", "/identity/resources/users/v2/me"]);
  });
});

describe("storage", () => {
  test("an async adapter keeps the session and the refresh token, so a new client resumes it", async () => {
    const kv = new Map();
    const adapter = {
      get: async (key) => kv.get(key),
      set: async (key, value) => void kv.set(key, value),
      remove: async (key) => void kv.delete(key),
    };
    const first = await createAuth({ baseUrl: emu.url, storage: adapter });
    await first.login(demo);
    await new Promise((r) => setTimeout(r, 10)); // adapter writes are async
    const [stored] = [...kv.values()];
    assert.match(stored, /fe_refresh_/, "server mode stores the refresh cookie too");

    // A new process (say, the next worker invocation) with the same store.
    const second = await createAuth({ baseUrl: emu.url, storage: adapter });
    const resumed = await second.restore();
    assert.equal(resumed.user.email, demo.email);
    const refreshed = await second.refresh();
    assert.equal(refreshed.user.email, demo.email, "the stored refresh token works");
    await second.logout();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(kv.size, 0, "sign-out removes the stored session");
  });

  test("the adapter is called before the SDK call resolves, one write after the other", async () => {
    const kv = new Map();
    const log = [];
    // Writes land after a delay that shrinks: unqueued, the delete would land before the put.
    let delay = 40;
    const slow = (action) => new Promise((r) => setTimeout(() => (action(), r()), (delay -= 15)));
    const adapter = {
      get: async (key) => kv.get(key),
      set: (key, value) => (log.push("set called"), slow(() => (log.push("set landed"), kv.set(key, value)))),
      remove: (key) => (log.push("remove called"), slow(() => (log.push("remove landed"), kv.delete(key)))),
    };
    const auth = await createAuth({ baseUrl: emu.url, storage: adapter, autoRefresh: false });
    await auth.login(demo);
    assert.deepEqual(log, ["set called"], "the write has started when login resolves");
    await auth.logout();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(log, ["set called", "set landed", "remove called", "remove landed"]);
    assert.equal(kv.size, 0, "the last write wins: signed out, nothing stored");
  });

  test("a broken adapter is rejected up front, and a throwing one only costs the restore", async () => {
    await rejects(createAuth({ baseUrl: emu.url, storage: { get() {} } }), "invalid_input");
    await rejects(createAuth({ baseUrl: emu.url, storage: "cookie" }), "invalid_input");
    const throwing = { get: () => { throw new Error("down"); }, set: () => Promise.reject(new Error("down")), remove() {} };
    const auth = await createAuth({ baseUrl: emu.url, storage: throwing });
    assert.equal(await auth.restore(), null);
    assert.equal((await auth.login(demo)).status, "authenticated");
  });
});

describe("token lifecycle", () => {
  test("a short-lived token is refreshed before it expires, without any call", async () => {
    const config = (body) =>
      fetch(`${emu.url}/emulator/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.json());
    await config({ accessTokenTtlSeconds: 2 });
    try {
      const auth = await createAuth({ baseUrl: emu.url, refreshLeewaySeconds: 1 });
      const refreshed = new Promise((resolve) => auth.onAuthStateChange((event) => event === "TOKEN_REFRESHED" && resolve()));
      const { session } = await auth.login(demo);
      await refreshed;
      assert.notEqual(auth.session.accessToken, session.accessToken);
      assert.ok(auth.session.expiresAt > session.expiresAt);
      await auth.logout();
    } finally {
      await config({ accessTokenTtlSeconds: 300 });
    }
  });

  test("a pending refresh timer does not keep a Node script alive", async () => {
    const script = `
      import { createAuth } from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)};
      const auth = await createAuth({ baseUrl: ${JSON.stringify(emu.url)} });
      await auth.login(${JSON.stringify(demo)});
      console.log(auth.session.user.email);`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 });
    assert.equal(stdout.trim(), demo.email, "the script signed in and exited on its own");
  });
});

describe("machine credentials", () => {
  const apiToken = { clientId: "5f0e7d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f", secret: "demo-api-secret-3f9a6c2e8b7d4105" };

  test("loginWithApiToken, refresh rotates, the token verifies, a replay is refused", async () => {
    const auth = await createAuth({ baseUrl: emu.url, autoRefresh: false });
    const session = await auth.loginWithApiToken(apiToken);
    assert.equal(session.user.id, apiToken.clientId);
    assert.ok(session.refreshToken);
    const refreshed = await auth.refresh();
    assert.notEqual(refreshed.refreshToken, session.refreshToken, "rotated");
    const claims = await verifyAccessToken(refreshed.accessToken, { baseUrl: emu.url, tokenType: "api" });
    assert.equal(claims.type, "tenantApiToken");
    assert.equal(claims.tenantId, "tenant-acme");

    // Replaying the first refresh token revokes the family (the host sees a theft).
    const replay = await fetch(`${emu.url}/identity/resources/auth/v2/api-token/token/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    assert.equal(replay.status, 401);
    await rejects(auth.refresh(), "session_expired");
  });

  test("wrong secret or missing fields", async () => {
    const auth = await createAuth({ baseUrl: emu.url });
    await rejects(auth.loginWithApiToken({ ...apiToken, secret: "nope" }), "invalid_credentials");
    await rejects(auth.loginWithApiToken({ clientId: apiToken.clientId }), "invalid_input");
  });
});

describe("verifyAccessToken", () => {
  const clientId = "b9a1f0b6-0c7e-4c55-9d8e-2f6f5b0c1e11";
  const token = async () => (await (await createAuth({ baseUrl: emu.url })).login(demo)).session.accessToken;
  /** The token with its payload changed and the signature kept. */
  const tampered = (t, change) => {
    const [h, p, s] = t.split(".");
    const claims = { ...JSON.parse(Buffer.from(p, "base64url")), ...change };
    return [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
  };

  test("a real token verifies; its claims come back", async () => {
    const claims = await verifyAccessToken(await token(), { baseUrl: emu.url, issuer: emu.url, audience: clientId });
    assert.equal(claims.email, demo.email);
    assert.equal(claims.type, "userToken");
  });

  test("wrong issuer or audience, a changed payload, an unknown key: unauthorized", async () => {
    const t = await token();
    await rejects(verifyAccessToken(t, { baseUrl: emu.url, issuer: "https://evil.example" }), "unauthorized");
    await rejects(verifyAccessToken(t, { baseUrl: emu.url, audience: "someone-else" }), "unauthorized");
    const forged = await rejects(verifyAccessToken(tampered(t, { roles: ["Owner"] }), { baseUrl: emu.url }), "unauthorized");
    assert.match(forged.message, /signature/);
    const [h, p, s] = t.split(".");
    const header = { ...JSON.parse(Buffer.from(h, "base64url")), kid: "rotated-away" };
    const unknown = await rejects(verifyAccessToken([Buffer.from(JSON.stringify(header)).toString("base64url"), p, s].join("."), { baseUrl: emu.url }), "unauthorized");
    assert.match(unknown.message, /unknown key/);
    const none = [Buffer.from('{"alg":"none"}').toString("base64url"), p, ""].join(".");
    await rejects(verifyAccessToken(none, { baseUrl: emu.url }), "unauthorized");
  });

  test("an expired token is refused (no clock skew allowed here)", async () => {
    const config = (body) => fetch(`${emu.url}/emulator/v1/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await config({ accessTokenTtlSeconds: 1 });
    try {
      const t = await token();
      await new Promise((r) => setTimeout(r, 2100));
      const e = await rejects(verifyAccessToken(t, { baseUrl: emu.url, clockSkewSeconds: 0 }), "unauthorized");
      assert.match(e.message, /expired/);
      assert.equal((await verifyAccessToken(t, { baseUrl: emu.url, clockSkewSeconds: 60 })).email, demo.email, "within the skew");
    } finally {
      await config({ accessTokenTtlSeconds: 300 });
    }
  });

  test("bad arguments and an unreachable JWKS", async () => {
    await rejects(verifyAccessToken(42, { baseUrl: emu.url }), "invalid_input");
    await rejects(verifyAccessToken("a.b.c", {}), "invalid_input");
    await rejects(verifyAccessToken("not-a-jwt", { baseUrl: emu.url }), "unauthorized");
    await rejects(verifyAccessToken(await token(), { jwksUrl: "http://127.0.0.1:9/keys" }), "network");
  });
});

describe("bad input and bad hosts", () => {
  test("bad options are invalid_input at once", async () => {
    for (const options of [undefined, null, 42, {}, { baseUrl: "" }, { baseUrl: "localhost:8787" },
      { baseUrl: "http://x", mode: "edge" }, { baseUrl: "http://x", fetch: "no" }, { baseUrl: "http://x", timeout: 5 }]) {
      await rejects(createAuth(options), "invalid_input");
    }
  });

  test("bad login arguments are invalid_input before any request", async () => {
    let calls = 0;
    const auth = await createAuth({ baseUrl: emu.url, fetch: (...a) => (calls++, fetch(...a)) });
    for (const args of [undefined, "x", {}, { email: "", password: "x" }, { email: demo.email },
      { email: demo.email, password: 5 }, { ...demo, extra: true }]) {
      await rejects(auth.login(args), "invalid_input");
    }
    assert.equal(calls, 0);
  });

  test("an emulator that is down is a network error", async () => {
    const server = createServer();
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address();
    await new Promise((r) => server.close(r));
    const auth = await createAuth({ baseUrl: `http://127.0.0.1:${port}` });
    const e = await rejects(auth.login(demo), "network");
    assert.equal(e.status, undefined);
  });

  test("a host that never answers times out", async () => {
    const sockets = new Set();
    const server = createServer((socket) => sockets.add(socket)); // accepts, never answers
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    try {
      const auth = await createAuth({ baseUrl: `http://127.0.0.1:${server.address().port}`, timeoutMs: 200 });
      await rejects(auth.login(demo), "timeout");
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
