// Hostile input against the built package (issue 14): a crafted token, a caller's argument nested
// thousands deep, and a host answering garbage. Each must be refused with a FronteggError, and
// the same module and the same client must keep working afterwards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createAuth, FronteggError, verifyAccessToken } from "../../pkg/node.js";
import { rejects } from "../support/rejects.mjs";

const b64 = (text) => Buffer.from(text).toString("base64url");
const nested = (depth) => "[".repeat(depth) + "]".repeat(depth);
function jwt(claims) {
  return `${b64(JSON.stringify({ alg: "RS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}.c2ln`;
}

/** A host that answers a login with tokens (to show a client still works). */
function goodAnswer(url) {
  const path = new URL(url).pathname;
  if (path.endsWith("/auth/v1/user")) {
    const claims = { sub: "u1", email: "a@example.com", tenantId: "t1", tenantIds: ["t1"] };
    return new Response(JSON.stringify({ accessToken: jwt(claims), expiresIn: 3600 }), {
      status: 200,
      headers: { "content-type": "application/json", "set-cookie": "fe_refresh_x=r1; Path=/; HttpOnly" },
    });
  }
  return new Response("{}", { status: 200 });
}

const CODES = new Set([
  "invalid_input", "network", "timeout", "unauthorized", "forbidden", "not_found", "conflict",
  "rate_limited", "locked_out", "invalid_credentials", "invalid_code", "mfa_token_expired",
  "session_expired", "webauthn_cancelled", "webauthn_unsupported", "webauthn_already_registered",
  "server",
]);

test("an unsigned token nesting 5,000 arrays is unauthorized, and the module lives on", async () => {
  const token = `${b64(JSON.stringify({ alg: "RS256", kid: "k" }))}.${b64(nested(5_000))}.c2ln`;
  assert.ok(token.length > 12_000);
  const options = { baseUrl: "https://id.example.com", fetch: async () => new Response("{}") };
  await rejects(verifyAccessToken(token, options), "unauthorized");
  const header = `${b64(nested(5_000))}.${b64("{}")}.c2ln`;
  await rejects(verifyAccessToken(header, options), "unauthorized");
  await rejects(verifyAccessToken("x".repeat(10_000_000), options), "unauthorized");
  // The module still answers: the next call is judged on its merits.
  await rejects(verifyAccessToken("not.a.jwt", options), "unauthorized");
});

test("a caller's argument nested 8,000 deep, cyclic or huge is invalid_input, and the client lives on", async () => {
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: async (u) => goodAnswer(u) });
  let deep = {};
  for (let i = 0; i < 8_000; i++) deep = { next: deep };
  await rejects(auth.login(deep), "invalid_input");
  await rejects(auth.login(JSON.parse(nested(8_000))), "invalid_input");
  const cyclic = { email: "a@example.com", password: "p" };
  cyclic.self = cyclic;
  await rejects(auth.login(cyclic), "invalid_input");
  await rejects(auth.login({ email: "a@example.com", password: "x".repeat(2_000_000) }), "invalid_input");
  await rejects(auth.login({ email: "a@example.com", password: 10n }), "invalid_input");
  const result = await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(result.status, "authenticated");
});

/** A seeded PRNG (mulberry32), so a failure replays. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random JSON value, sometimes deep, long or oddly typed where the SDK expects strings. */
function value(rnd, depth = 0) {
  const r = rnd();
  if (depth > 6 || r < 0.3) {
    const leaves = [null, true, false, 0, -1, 1e308, 3.5, "", "x", "fe_refresh_x=y", jwt({ sub: 1 }), "a".repeat(500)];
    return leaves[Math.floor(rnd() * leaves.length)];
  }
  if (r < 0.5) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(rnd, depth + 1));
  const keys = ["accessToken", "refreshToken", "expiresIn", "mfaRequired", "mfaToken", "errors", "user",
    "id", "email", "sessions", "tenants", "devices", "otcToken", "recoveryCode", "qrCode", "status"];
  const o = {};
  for (let i = Math.floor(rnd() * 5); i > 0; i--) o[keys[Math.floor(rnd() * keys.length)]] = value(rnd, depth + 1);
  return o;
}

/** A random answer: status, body (JSON, garbage, deep, huge) and headers; or no answer at all. */
function answer(rnd) {
  const r = rnd();
  if (r < 0.03) throw new TypeError("fetch failed");
  if (r < 0.05) return { not: "a Response" };
  const statuses = [200, 201, 204, 400, 401, 403, 404, 409, 423, 429, 500, 502, 503];
  const status = statuses[Math.floor(rnd() * statuses.length)];
  const kind = rnd();
  const body =
    status === 204 ? null
    : kind < 0.05 ? nested(3_000 + Math.floor(rnd() * 5_000))
    : kind < 0.08 ? "<html>bad gateway</html>"
    : kind < 0.1 ? "x".repeat(1_100_000)
    : kind < 0.12 ? ""
    : JSON.stringify(value(rnd));
  const headers = new Headers();
  if (rnd() < 0.3) headers.append("set-cookie", `fe_refresh_x=${"r".repeat(Math.floor(rnd() * 50))}; Path=/`);
  if (rnd() < 0.1) headers.append("set-cookie", "garbage");
  if (rnd() < 0.1) headers.set("frontegg-trace-id", "t".repeat(Math.floor(rnd() * 100)));
  return new Response(body, { status, headers });
}

test("2,000 random answers: every call settles with a result or a FronteggError, then a normal sign-in", async () => {
  const rnd = random(14);
  let hostile = true;
  const fetch = async (url) => (hostile ? answer(rnd) : goodAnswer(typeof url === "string" ? url : url.url));
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch, autoRefresh: false, timeoutMs: 2_000 });
  const calls = [
    () => auth.login({ email: "a@example.com", password: "p" }),
    () => auth.refresh(),
    () => auth.restore(),
    () => auth.getProfile(),
    () => auth.listSessions(),
    () => auth.listTenants(),
    () => auth.switchTenant("t2"),
    () => auth.getAuthorization(),
    () => auth.listMfaDevices(),
    () => auth.mfaVerifyTotp({ mfaToken: "m", code: "123456" }),
    () => auth.mfaSendSmsCode({ mfaToken: "m", deviceId: "d" }),
    () => auth.mfaEnrollTotp({ mfaToken: "m" }),
    () => auth.passwordlessStart({ type: "MagicLink", email: "a@example.com" }),
    () => auth.passwordlessComplete({ token: "t" }),
    () => auth.signup({ email: "a@example.com", password: "p", name: "A", companyName: "C" }),
    () => auth.forgotPassword({ email: "a@example.com" }),
    () => auth.updateProfile({ name: "B" }),
    () => auth.mfaSettingsEnrollTotp(),
    () => auth.loginWithApiToken({ clientId: "c", secret: "s" }),
    () => auth.fetch("https://id.example.com/x").then((r) => r.status),
    () => auth.logout(),
  ];
  const outcomes = new Map();
  let settled = 0;
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const i = Math.floor(rnd() * calls.length);
        let timer;
        const stalled = new Promise((_, fail) => {
          timer = setTimeout(() => fail(new Error(`call ${i} never settled`)), 30_000);
        });
        const outcome = await Promise.race([
          calls[i]().then(() => "ok", (e) => e),
          stalled,
        ]).finally(() => clearTimeout(timer));
        if (outcome !== "ok") {
          assert.ok(outcome instanceof FronteggError, `call ${i}: ${outcome?.stack ?? outcome}`);
          assert.ok(CODES.has(outcome.code), `call ${i}: ${outcome.code}`);
          assert.ok(outcome.message.length > 0);
        }
        const key = outcome === "ok" ? "ok" : outcome.code;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        settled += 1;
      }),
    );
  }
  assert.equal(settled, 2_000);
  assert.ok(outcomes.get("server") > 0 && outcomes.get("ok") > 0, JSON.stringify([...outcomes]));
  // The same instance, against a host that behaves: signs in normally.
  hostile = false;
  await auth.logout();
  const result = await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(result.status, "authenticated");
  assert.equal(auth.session.user.email, "a@example.com");
});

test("an appId no request can carry is invalid_input, not an unreachable host, and nothing is sent", async () => {
  let sent = 0;
  const fetch = async (url) => {
    sent += 1;
    return goodAnswer(url);
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", mode: "server", appId: "app\r\nx-injected: 1", fetch });
  await rejects(auth.login({ email: "a@example.com", password: "p" }), "invalid_input");
  assert.equal(sent, 0);
});

test("an access token the request headers refuse is invalid_input from auth.fetch, and the token is not in the message", async () => {
  // The host's token has a line break outside the claims, which nothing else reads.
  const claims = { sub: "u1", email: "a@example.com", tenantId: "t1", tenantIds: ["t1"], exp: Math.floor(Date.now() / 1000) + 3600 };
  const [header, payload, signature] = jwt(claims).split(".");
  const token = `${header}\nSECRET.${payload}.${signature}`;
  let sentTo = [];
  const fetch = async (input) => {
    const url = typeof input === "string" ? input : input.url;
    sentTo.push(url);
    return new Response(JSON.stringify({ accessToken: token, expiresIn: 3600 }), { status: 200 });
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", mode: "server", fetch, autoRefresh: false });
  assert.equal((await auth.login({ email: "a@example.com", password: "p" })).status, "authenticated");
  sentTo = [];
  const e = await rejects(auth.fetch("https://id.example.com/things"), "invalid_input");
  assert.doesNotMatch(e.message, /SECRET/);
  assert.deepEqual(sentTo, []);
});

test("a browser-mode client is made where BroadcastChannel throws (blocked storage), and works", async () => {
  const real = globalThis.BroadcastChannel;
  globalThis.BroadcastChannel = class {
    constructor() {
      throw new DOMException("The operation is insecure.", "SecurityError");
    }
  };
  try {
    const auth = await createAuth({ baseUrl: "https://id.example.com", mode: "browser", fetch: async (url) => goodAnswer(url), autoRefresh: false });
    assert.equal((await auth.login({ email: "a@example.com", password: "p" })).status, "authenticated");
  } finally {
    globalThis.BroadcastChannel = real;
  }
});

test("arguments whose getters or Proxy traps throw are invalid_input, thousands of times, and the module lives on", async () => {
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: async (u) => goodAnswer(u) });
  const boom = () => {
    throw new Error("getter boom");
  };
  const getter = { get deviceId() { return boom(); }, get email() { return boom(); } };
  const proxy = new Proxy({}, { ownKeys: boom, get: boom, getOwnPropertyDescriptor: boom });
  // Each used to throw the caller's own Error out through the wasm, leaking its stack, until
  // the module trapped (after about 600 calls).
  for (let i = 0; i < 2_000; i++) {
    for (const arg of [getter, proxy]) {
      await rejects(auth.passkeyLogin(arg), "invalid_input");
      await rejects(auth.mfaDisableDevice(arg), "invalid_input");
    }
  }
  for (let i = 0; i < 2_000; i++) {
    await rejects(createAuth({ baseUrl: "https://id.example.com", get fetch() { return boom(); } }), "invalid_input");
    await rejects(verifyAccessToken("a.b.c", { jwksUrl: "https://id.example.com/jwks", get fetch() { return boom(); } }), "invalid_input");
  }
  const result = await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(result.status, "authenticated");
});

test("a fetch answering Response look-alikes that lie is a FronteggError, and the client's refresh lives on", async () => {
  let lie = null;
  // Refreshes are answered as sign-ins are: with tokens.
  const fetch = async (url) => lie?.() ?? goodAnswer(String(url).replace(/\/token\/refresh$/, ""));
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch });
  await auth.login({ email: "a@example.com", password: "p" });
  const headers = (extra) => ({ get: () => null, ...extra });
  const lies = [
    () => ({ status: 200, text: async () => "{}", headers: headers({ getSetCookie: () => undefined }) }),
    () => ({ status: 200, text: async () => "{}", headers: headers({ getSetCookie: () => [1, {}] }) }),
    () => ({ status: 200, text: async () => 42, headers: headers() }),
    () => ({ text: async () => "{}", headers: headers() }),
    () => ({ status: 200, text: async () => "{}", headers: headers({ get: () => 7 }) }),
  ];
  for (const next of lies) {
    lie = next;
    const settled = await auth.refresh().then(() => null, (e) => e);
    if (settled !== null) assert.ok(settled instanceof FronteggError && CODES.has(settled.code), String(settled));
  }
  lie = null;
  const session = await auth.refresh();
  assert.ok(session.accessToken, "a refresh after the lies is answered");
});

test("a fetch that ignores its signal and never answers times out after timeoutMs, and the next call is sent", async () => {
  let stall = true;
  const fetch = (url) => (stall ? new Promise(() => {}) : Promise.resolve(goodAnswer(url)));
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch, timeoutMs: 200 });
  await rejects(auth.login({ email: "a@example.com", password: "p" }), "timeout");
  stall = false;
  const result = await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(result.status, "authenticated");
});

test("a JWKS body that is not text fails that fetch, and the same keys URL is fetched again next time", async () => {
  const jwksUrl = "https://id.example.com/.well-known/jwks.json";
  let body = async () => 42;
  const fetch = async () => Object.assign(new Response("{}"), { text: () => body() });
  const token = `${b64(JSON.stringify({ alg: "RS256", kid: "k" }))}.${b64(JSON.stringify({ sub: "u" }))}.c2ln`;
  const first = await verifyAccessToken(token, { jwksUrl, fetch }).then(() => null, (e) => e);
  assert.ok(first instanceof FronteggError, String(first));
  body = async () => JSON.stringify({ keys: [] });
  const second = await Promise.race([
    verifyAccessToken(token, { jwksUrl, fetch }).then(() => "verified", (e) => e.code),
    new Promise((r) => setTimeout(() => r("hung"), 3_000)),
  ]);
  assert.notEqual(second, "hung", "the keys URL is not stuck on the failed fetch");
});

test("an argument far over the limit is refused before it is copied into the wasm", async () => {
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: async (u) => goodAnswer(u) });
  const before = process.memoryUsage().arrayBuffers;
  await rejects(auth.login({ email: "a@example.com", password: "é".repeat(20_000_000) }), "invalid_input");
  // The wasm's memory would have grown by at least the 40 MB of UTF-8, and never shrinks.
  assert.ok(process.memoryUsage().arrayBuffers - before < 8_000_000, "the wasm memory did not grow by the argument");
  const result = await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(result.status, "authenticated");
});

test("logout with an argument it can't read still signs out, then says what was wrong; it resolves undefined", async () => {
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: async (u) => goodAnswer(u) });
  for (const arg of [{ everyWhere: true }, { everywhere: 1 }, "now", { isTrusted: true }]) {
    await auth.login({ email: "a@example.com", password: "p" });
    await rejects(auth.logout(arg), "invalid_input");
    assert.equal(auth.session, null, `signed out after logout(${JSON.stringify(arg)})`);
  }
  await auth.login({ email: "a@example.com", password: "p" });
  assert.equal(await auth.logout(), undefined);
  assert.equal(auth.session, null);
});
