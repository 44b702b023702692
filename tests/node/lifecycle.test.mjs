// The session lifecycle of the built package in Node (server mode), against a fake identity host
// given as the `fetch` option, answering as the hosted service does (tokens in the body, the
// refresh token in `set-cookie`): the faults measured in issue 13.
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as wait } from "node:timers/promises";
import { createAuth } from "../../pkg/node.js";

/** An unsigned JWT with `claims` (the SDK reads claims; the host, not the SDK, checks signatures). */
function jwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2ln`;
}

/**
 * A fake identity host: counts requests by path and answers login and refresh with a token that
 * lives `expiresIn` seconds. `holdRefresh` makes refresh answers wait until `release()`.
 */
function fakeHost({ expiresIn, holdRefresh = false }) {
  const counts = {};
  let release;
  const held = new Promise((r) => (release = r));
  let n = 0;
  const tokens = () => {
    n += 1;
    const claims = { sub: "u1", email: "a@example.com", tenantId: "t1", tenantIds: ["t1"], exp: Math.floor(Date.now() / 1000) + expiresIn };
    return new Response(JSON.stringify({ accessToken: jwt(claims), expiresIn }), {
      status: 200,
      headers: { "content-type": "application/json", "set-cookie": `fe_refresh_x=r${n}; Path=/; HttpOnly` },
    });
  };
  async function fetch(input) {
    const path = new URL(typeof input === "string" ? input : input.url).pathname;
    counts[path] = (counts[path] ?? 0) + 1;
    if (path.endsWith("/auth/v1/user")) return tokens();
    if (path.endsWith("/token/refresh")) {
      if (holdRefresh) await held;
      return tokens();
    }
    if (path.endsWith("/auth/v1/logout")) return new Response("{}", { status: 200 });
    return new Response(JSON.stringify({ errors: ["not here"] }), { status: 404 });
  }
  return { fetch, counts, release: () => release() };
}

const refreshes = (host) =>
  Object.entries(host.counts).filter(([p]) => p.endsWith("/token/refresh")).reduce((sum, [, c]) => sum + c, 0);

test("a 60-day token is not refreshed again and again (timers take at most 2^31-1 ms)", async () => {
  const host = fakeHost({ expiresIn: 60 * 86_400 });
  const warnings = [];
  const onWarning = (w) => warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: host.fetch });
    await auth.login({ email: "a@example.com", password: "p" });
    await wait(1500);
    assert.equal(refreshes(host), 0, "no refresh is due for 60 days");
    assert.ok(!warnings.includes("TimeoutOverflowWarning"), `warnings: ${warnings}`);
    await auth.logout();
  } finally {
    process.off("warning", onWarning);
  }
});

test("a leeway longer than the token's life: calls refresh at half its life, not on every call", async () => {
  const host = fakeHost({ expiresIn: 300 });
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: host.fetch, autoRefresh: false, refreshLeewaySeconds: 600 });
  await auth.login({ email: "a@example.com", password: "p" });
  for (let i = 0; i < 5; i++) await auth.getProfile().catch(() => {});
  assert.equal(refreshes(host), 0, "150 s of the token's life are left before a refresh is due");
});

test("a host whose clock is behind (every token expired on arrival): no burst of refreshes", async () => {
  let refreshed = 0;
  // No `expiresIn`: the token's `exp`, ten minutes behind this machine's clock, decides.
  const tokens = (status) => {
    const claims = { sub: "u1", email: "a@example.com", exp: Math.floor(Date.now() / 1000) - 600 + 300 };
    return new Response(JSON.stringify({ accessToken: jwt(claims) }), {
      status,
      headers: { "content-type": "application/json", "set-cookie": "fe_refresh_x=r; Path=/; HttpOnly" },
    });
  };
  const fetch = async (input) => {
    const path = new URL(typeof input === "string" ? input : input.url).pathname;
    if (path.endsWith("/token/refresh")) return (refreshed += 1), tokens(200);
    if (path.endsWith("/auth/v1/user")) return tokens(200);
    return new Response("{}", { status: 200 });
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch });
  await auth.login({ email: "a@example.com", password: "p" });
  for (let i = 0; i < 5; i++) await auth.getProfile().catch(() => {});
  await wait(1000);
  assert.equal(refreshed, 0, "the first refresh waits out the gap after a sign-in");
  await auth.logout();
});

test("logout while a refresh is out: signed out, and the late answer brings nothing back", async () => {
  const host = fakeHost({ expiresIn: 3600, holdRefresh: true });
  const written = [];
  const storage = {
    get: () => null,
    set: (key, value) => void written.push(["set", key, value]),
    remove: (key) => void written.push(["remove", key]),
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: host.fetch, storage, autoRefresh: false });
  const heard = [];
  auth.onAuthStateChange((event) => heard.push(event));
  await auth.login({ email: "a@example.com", password: "p" });
  const refreshing = auth.refresh().then(
    (s) => ({ ok: true, s }),
    (e) => ({ ok: false, code: e.code }),
  );
  await wait(20);
  await auth.logout();
  host.release();
  const late = await refreshing;
  assert.deepEqual(late, { ok: false, code: "session_expired" });
  assert.equal(auth.session, null);
  assert.deepEqual(heard, ["SIGNED_IN", "SIGNED_OUT"]);
  assert.equal(written.at(-1)[0], "remove", "the stored snapshot stays removed");
});

/**
 * A fake host that rotates refresh tokens and, like the hosted service, treats a rotated token
 * presented again as theft: it answers 401 and revokes the whole family.
 */
function rotatingHost({ lifetime = (n) => 3600 + n } = {}) {
  const live = new Set();
  const spent = new Set();
  const stats = { refreshes: 0, revoked: false };
  let n = 0;
  const tokens = (status = 200) => {
    n += 1;
    live.add(`r${n}`);
    // By default each token lives a little longer than the last; `iat` says which came later.
    const expiresIn = lifetime(n);
    const iat = Math.floor(Date.now() / 1000) + n;
    const claims = { sub: "u1", email: "a@example.com", tenantId: "t1", tenantIds: ["t1"], jti: `t${n}`, iat };
    return new Response(JSON.stringify({ accessToken: jwt(claims), expiresIn }), {
      status,
      headers: { "content-type": "application/json", "set-cookie": `fe_refresh_x=r${n}; Path=/; HttpOnly` },
    });
  };
  async function fetch(input, init = {}) {
    const path = new URL(typeof input === "string" ? input : input.url).pathname;
    if (path.endsWith("/auth/v1/user")) return tokens();
    if (path.endsWith("/token/refresh")) {
      stats.refreshes += 1;
      const cookie = new Headers(init.headers).get("cookie") ?? "";
      const token = /fe_refresh_x=([^;]+)/.exec(cookie)?.[1];
      if (live.has(token)) {
        live.delete(token);
        spent.add(token);
        return tokens(201);
      }
      if (spent.has(token)) {
        stats.revoked = true;
        live.clear();
      }
      return new Response(JSON.stringify({ errors: ["Session expired"] }), { status: 401 });
    }
    return new Response("{}", { status: 200 });
  }
  return { fetch, stats };
}

/**
 * A signs in and refreshes; B, sharing A's store (the Worker + KV pattern: every isolate reads
 * and writes the same key), refreshes after it and must take A's new session, never replay the
 * token A rotated. Answers B.
 */
async function secondTakesTheFirstsRefresh(host) {
  const kv = new Map();
  const storage = { get: async (k) => kv.get(k) ?? null, set: async (k, v) => void kv.set(k, v), remove: async (k) => void kv.delete(k) };
  const options = { baseUrl: "https://id.example.com", fetch: host.fetch, storage, autoRefresh: false };
  const a = await createAuth(options);
  await a.login({ email: "a@example.com", password: "p" });
  const b = await createAuth(options);
  assert.ok(await b.restore(), "B restores A's session from the store");
  const refreshed = await a.refresh();
  const taken = await b.refresh();
  assert.equal(taken.accessToken, refreshed.accessToken, "B took A's new session");
  assert.equal(host.stats.refreshes, 1, "one refresh for both");
  assert.equal(host.stats.revoked, false, "no rotated token presented twice");
  return { b, taken };
}

test("two instances sharing one store: the second takes the first's refresh, never replays a rotated token", async () => {
  const host = rotatingHost();
  const { b, taken } = await secondTakesTheFirstsRefresh(host);
  const again = await b.refresh();
  assert.ok(again.expiresAt > taken.expiresAt, "B refreshes normally afterwards");
  assert.equal(host.stats.revoked, false);
});

test("two instances sharing one store: a refresh living shorter than the session held is still the newer one", async () => {
  // The host shortened its tokens' life (or the first instance's clock is behind): the new
  // session expires sooner, by this clock, than the one the second instance holds.
  await secondTakesTheFirstsRefresh(rotatingHost({ lifetime: (n) => 3600 - 600 * n }));
});

test("two instances refreshing in the same instant over a store with compareAndSet: one refresh, both take it", async () => {
  const host = rotatingHost();
  const kv = new Map();
  // A remote store: every call takes a moment; compareAndSet is atomic, as Redis or a Durable
  // Object would make it.
  const later = () => wait(5);
  const storage = {
    get: async (k) => (await later(), kv.get(k) ?? null),
    set: async (k, v) => (await later(), void kv.set(k, v)),
    remove: async (k) => (await later(), void kv.delete(k)),
    compareAndSet: async (k, expected, v) => {
      await later();
      if ((kv.get(k) ?? null) !== expected) return false;
      kv.set(k, v);
      return true;
    },
  };
  const options = { baseUrl: "https://id.example.com", fetch: host.fetch, storage, autoRefresh: false };
  const a = await createAuth(options);
  await a.login({ email: "a@example.com", password: "p" });
  await wait(20);
  const b = await createAuth(options);
  assert.ok(await b.restore(), "B restores A's session from the store");
  const [fromA, fromB] = await Promise.all([a.refresh(), b.refresh()]);
  assert.equal(fromA.accessToken, fromB.accessToken, "one new session for both");
  assert.equal(host.stats.refreshes, 1, "one refresh between them");
  assert.equal(host.stats.revoked, false, "no rotated token presented twice");
  await wait(20);
  const [stored] = kv.values();
  assert.equal(JSON.parse(stored).lease, undefined, "the lease went with the new session");
});

test("a sign-in while a refresh reads a slow store: the refresh doesn't spend the new session's token", async () => {
  const host = rotatingHost();
  const kv = new Map();
  // A remote store whose reads take a while (the refresh reads it before it sends).
  const storage = {
    get: async (k) => (await wait(200), kv.get(k) ?? null),
    set: async (k, v) => void kv.set(k, v),
    remove: async (k) => void kv.delete(k),
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch: host.fetch, storage, autoRefresh: false });
  const heard = [];
  auth.onAuthStateChange((event) => heard.push(event));
  await auth.login({ email: "a@example.com", password: "p" });
  const refreshing = auth.refresh().then(() => "resolved", (e) => e.code);
  await wait(20);
  const { session } = await auth.login({ email: "a@example.com", password: "p" });
  await refreshing;
  assert.equal(host.stats.refreshes, 0, "the refresh was for the session that ended; nothing was sent");
  const next = await auth.refresh();
  assert.notEqual(next.accessToken, session.accessToken, "the new session refreshes normally");
  assert.equal(host.stats.revoked, false, "no rotated token presented twice");
  assert.deepEqual(heard, ["SIGNED_IN", "SIGNED_IN", "TOKEN_REFRESHED"]);
});

/** A store with an atomic compareAndSet, as Redis or a Durable Object gives one. */
function casStore() {
  const kv = new Map();
  const storage = {
    get: async (k) => kv.get(k) ?? null,
    set: async (k, v) => void kv.set(k, v),
    remove: async (k) => void kv.delete(k),
    compareAndSet: async (k, expected, v) => ((kv.get(k) ?? null) !== expected ? false : (kv.set(k, v), true)),
  };
  return { kv, storage };
}

/**
 * `host.fetch`, with refreshes held while `held.on` until `held.release()`: their answers, or
 * (`before`) the requests themselves, so the host issues the refreshed token last.
 */
function holding(host, before) {
  const held = { on: false, release: () => {} };
  const hold = (input) =>
    held.on && String(input.url ?? input).endsWith("/token/refresh") ? new Promise((go) => (held.release = go)) : null;
  held.fetch = async (input, init) => {
    if (before) await hold(input);
    const answer = await host.fetch(input, init);
    if (!before) await hold(input);
    return answer;
  };
  return held;
}

for (const [what, again, before] of [
  ["signed out of", false, false],
  ["signed out of and into anew", true, false],
  ["signed out of and into anew before the refresh reached the host", true, true],
]) {
  test(`a late refresh answer over a store another instance ${what}: the store's word stands`, async () => {
    const host = rotatingHost();
    const { kv, storage } = casStore();
    const held = holding(host, before);
    const options = { baseUrl: "https://id.example.com", storage, autoRefresh: false };
    const a = await createAuth({ ...options, fetch: host.fetch });
    await a.login({ email: "a@example.com", password: "p" });
    const b = await createAuth({ ...options, fetch: held.fetch });
    assert.ok(await b.restore());
    const heardB = [];
    b.onAuthStateChange((event) => heardB.push(event));
    held.on = true;
    const late = b.refresh().then((s) => s.accessToken, (e) => e.code);
    await wait(20);
    await a.logout();
    const fresh = again ? (await a.login({ email: "a@example.com", password: "p" })).session : null;
    await wait(10);
    held.release();
    const stored = () => (kv.size ? JSON.parse([...kv.values()][0]).accessToken : null);
    assert.equal(await late, again ? fresh.accessToken : "session_expired");
    await wait(10);
    assert.equal(stored(), again ? fresh.accessToken : null, "B's late answer didn't overwrite the store");
    assert.equal(b.session?.accessToken ?? null, again ? fresh.accessToken : null, "B took the store's word");
    // Nothing is heard of the answer thrown away: only the store's word.
    assert.deepEqual(heardB, again ? ["TOKEN_REFRESHED"] : ["SIGNED_OUT"]);
    const c = await createAuth({ ...options, fetch: host.fetch });
    assert.equal((await c.restore())?.accessToken ?? null, again ? fresh.accessToken : null, "a new instance finds the same");
  });
}

test("auth.fetch: a 401 refreshes once and sends the request again, body and all, with the new token", async () => {
  const host = rotatingHost();
  let accepted = null;
  const seen = [];
  const fetch = async (input, init = {}) => {
    const url = typeof input === "string" ? input : input.url;
    if (!url.includes("/api/")) {
      const answer = await host.fetch(input, init);
      const body = await answer.clone().json().catch(() => ({}));
      if (body.accessToken) accepted = `Bearer ${body.accessToken}`;
      return answer;
    }
    const request = new Request(input, init);
    seen.push([request.headers.get("authorization"), await request.text()]);
    // The API stops accepting the token it was given first (as after a revocation elsewhere).
    return new Response("{}", { status: seen.length === 1 || request.headers.get("authorization") !== accepted ? 401 : 200 });
  };
  const auth = await createAuth({ baseUrl: "https://id.example.com", fetch, autoRefresh: false });
  await auth.login({ email: "a@example.com", password: "p" });
  const response = await auth.fetch("https://id.example.com/api/things", { method: "POST", body: "payload" });
  assert.equal(response.status, 200);
  assert.equal(seen.length, 2, "sent twice");
  assert.notEqual(seen[0][0], seen[1][0], "the retry carries the refreshed token");
  assert.deepEqual(seen.map(([, body]) => body), ["payload", "payload"], "the body went both times");
  assert.equal(host.stats.refreshes, 1, "one refresh");
});
