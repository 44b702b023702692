// The built package in Node (server mode) against the emulator behind a fault-injecting proxy
// (tests/support/faults.mjs): connection resets mid-answer, 5xx bursts, stalls past `timeoutMs`,
// 429 with `Retry-After`, and a refresh whose answer is lost after the emulator acted on it. Each
// test asserts the session survives: still signed in, a later call works, and no SIGNED_OUT or
// SESSION_EXPIRED while the access token is valid.
//
// No test measures time. Where the SDK waits (retry backoff, `Retry-After`), the test takes its
// timers over (`sdkTimers`) and moves them on itself, then counts the requests sent so far.
import assert from "node:assert/strict";
import { after, before, beforeEach, afterEach, describe, test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { createAuth, FronteggError } from "../../pkg/node.js";
import { dev } from "../support/dev.mjs";
import { startEmulator } from "../support/emulator.mjs";
import { startFaultProxy } from "../support/faults.mjs";
import { rejects } from "../support/rejects.mjs";

const demo = { email: "demo@example.com", password: "Demo-pass-123!" };
const LOGIN = "POST /identity/resources/auth/v1/user";
const REFRESH = "POST /identity/resources/auth/v1/user/token/refresh";
const ME = "GET /identity/resources/users/v2/me";
const ENDED = ["SIGNED_OUT", "SESSION_EXPIRED"];

let emu;
let proxy;
before(async () => (emu = await startEmulator()));
after(async () => emu?.stop());
beforeEach(async () => (proxy = await startFaultProxy(emu.url)));
afterEach(async () => proxy?.close());

/**
 * A signed-in client talking to the emulator through the proxy, with what it heard and sent.
 * `autoRefresh` is off so the only refreshes are the test's own.
 */
async function signedIn(options = {}) {
  const sent = [];
  const auth = await createAuth({
    baseUrl: proxy.url,
    autoRefresh: false,
    // Counts what the SDK sent, at the moment it sends: unlike arrivals at the proxy, this
    // needs no network round trip to be seen.
    fetch: (url, init) => (sent.push(`${init?.method ?? "GET"} ${new URL(url).pathname}`), fetch(url, init)),
    ...options,
  });
  const heard = [];
  auth.onAuthStateChange((event) => heard.push(event));
  assert.equal((await auth.login(demo)).status, "authenticated");
  const sentTo = (route) => sent.filter((r) => r === route).length;
  return { auth, heard, sentTo };
}

/** What a session that survived looks like: still there, a call works, nothing ended it. */
async function assertSurvived({ auth, heard }, session) {
  assert.ok(auth.session, "still signed in");
  if (session) assert.equal(auth.session.user.id, session.user.id);
  assert.equal((await auth.getProfile()).email, demo.email, "a later call works");
  assert.deepEqual(heard.filter((e) => ENDED.includes(e)), [], `heard ${heard}; proxy: ${JSON.stringify(proxy.log)}`);
}

/**
 * Takes over the timers of the test's process (node:test's mock timers), recording the waits the
 * SDK asks for (its backoff and `Retry-After` sleeps; recognised by the wasm glue on the stack).
 * Request time limits (js/runtime.js takes the timers at load) and the proxy's own stalls keep
 * real time.
 */
function sdkTimers(t) {
  const real = globalThis.setTimeout;
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const mocked = globalThis.setTimeout;
  const sleeps = [];
  globalThis.setTimeout = (fn, ms, ...rest) => {
    if (new Error().stack.includes("frontegg_auth_wasm")) sleeps.push(ms);
    return mocked(fn, ms, ...rest);
  };
  t.after(() => {
    t.mock.timers.reset();
    globalThis.setTimeout = real;
  });
  const settle = async () => {
    // The SDK reacts in microtasks and callbacks of its own: a few turns of the loop let it.
    for (let i = 0; i < 20; i += 1) await turn();
  };
  return {
    sleeps,
    /** Resolves once the SDK has asked to sleep `count` times. */
    async sleeping(count) {
      for (let i = 0; sleeps.length < count; i += 1) {
        if (i > 100_000) throw new Error(`the SDK asked for ${sleeps.length} sleeps, not ${count}`);
        await turn();
      }
    },
    /** Moves the SDK's time on by `ms`, then lets it act on whatever fell due. */
    async advance(ms) {
      t.mock.timers.tick(ms);
      await settle();
    },
  };
}

describe("connection reset mid-answer", () => {
  test("a profile answer cut off costs that call, not the session", async () => {
    const client = await signedIn();
    const session = client.auth.session;
    for (const afterBytes of [0, 10]) {
      proxy.next(ME, { kind: "reset", afterBytes });
      const e = await rejects(client.auth.getProfile(), "network");
      assert.equal(e.status, undefined, "no status: there was no whole answer");
    }
    assert.equal(proxy.forwarded(ME), 2, "the emulator answered both; the proxy cut them");
    await assertSurvived(client, session);
  });

  test("a login whose answer is cut off can simply be tried again", async () => {
    const auth = await createAuth({ baseUrl: proxy.url, autoRefresh: false });
    proxy.next(LOGIN, { kind: "reset", afterBytes: 20 });
    await rejects(auth.login(demo), "network");
    assert.equal(auth.session, null, "nothing half-signed-in");
    assert.equal((await auth.login(demo)).status, "authenticated");
    assert.equal((await auth.getProfile()).email, demo.email);
  });
});

describe("5xx bursts", () => {
  test("a refresh rides out two 5xx answers in a row with its backoff", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn();
    const before = client.auth.session;
    proxy.next(REFRESH, { kind: "status", status: 503, times: 2 });
    const refreshing = client.auth.refresh();
    for (const tries of [1, 2]) {
      await proxy.handled(REFRESH, tries);
      await timers.sleeping(tries);
      await timers.advance(timers.sleeps[tries - 1]);
    }
    const after = await refreshing;
    assert.notEqual(after.refreshToken, before.refreshToken, "rotated on the third try");
    assert.equal(proxy.received(REFRESH), 3);
    assert.equal(proxy.forwarded(REFRESH), 1, "only the third reached the emulator");
    assert.deepEqual(client.heard, ["SIGNED_IN", "TOKEN_REFRESHED"]);
    await assertSurvived(client, before);
  });

  test("a burst longer than the retries fails the refresh but keeps the still-valid session", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn();
    const before = client.auth.session;
    proxy.next(REFRESH, { kind: "status", status: 502, times: 3 });
    const refreshing = rejects(client.auth.refresh(), "server");
    for (const tries of [1, 2]) {
      await proxy.handled(REFRESH, tries);
      await timers.sleeping(tries);
      await timers.advance(timers.sleeps[tries - 1]);
    }
    assert.equal((await refreshing).status, 502);
    assert.equal(proxy.received(REFRESH), 3, "three tries, then it gives up");
    assert.deepEqual(client.auth.session, before, "the session is untouched");
    // The host is back: the same refresh token still works.
    assert.equal((await client.auth.refresh()).user.email, demo.email);
    await assertSurvived(client, before);
  });

  test("5xx answers to API calls fail those calls only", async () => {
    const client = await signedIn();
    proxy.next(ME, { kind: "status", status: 500, times: 3 });
    for (let i = 0; i < 3; i += 1) assert.equal((await rejects(client.auth.getProfile(), "server")).status, 500);
    await assertSurvived(client);
  });
});

describe("stalls", () => {
  test("a refresh stalled 30 s times out after timeoutMs, and the retry gets through", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn({ timeoutMs: 300 });
    const before = client.auth.session;
    proxy.next(REFRESH, { kind: "stall", ms: 30_000 });
    const refreshing = client.auth.refresh();
    await proxy.handled(REFRESH, 1); // the SDK gave up on the stalled request
    await timers.sleeping(1);
    await timers.advance(timers.sleeps[0]);
    const after = await refreshing;
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.equal(proxy.log.find((e) => e.fault === "stall").outcome, "client gave up during the stall; not forwarded");
    assert.equal(proxy.forwarded(REFRESH), 1, "the stalled try never reached the emulator");
    assert.deepEqual(client.heard, ["SIGNED_IN", "TOKEN_REFRESHED"]);
    await assertSurvived(client, before);
  });

  test("a stalled API call fails with timeout and the session carries on", async () => {
    const client = await signedIn({ timeoutMs: 300 });
    proxy.next(ME, { kind: "stall", ms: 30_000 });
    await rejects(client.auth.getProfile(), "timeout");
    await assertSurvived(client);
  });
});

describe("429 with Retry-After", () => {
  test("the refresh is not tried again before Retry-After, and then succeeds", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn();
    const before = client.auth.session;
    // 3 s: longer than any backoff the SDK would pick on its own (at most 500 ms here).
    proxy.next(REFRESH, { kind: "429", retryAfter: "3" });
    const refreshing = client.auth.refresh();
    await proxy.handled(REFRESH, 1);
    await timers.sleeping(1);
    await timers.advance(2_999);
    assert.equal(client.sentTo(REFRESH), 1, "nothing sent before Retry-After has passed");
    await timers.advance(1);
    assert.equal(client.sentTo(REFRESH), 2, "tried again once it has");
    const after = await refreshing;
    assert.notEqual(after.refreshToken, before.refreshToken);
    assert.equal(proxy.received(REFRESH), 2);
    assert.equal(proxy.forwarded(REFRESH), 1);
    assert.deepEqual(client.heard, ["SIGNED_IN", "TOKEN_REFRESHED"]);
    await assertSurvived(client, before);
  });

  test("a Retry-After beyond 30 s fails the refresh at once with rate_limited, keeping the session", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn();
    const before = client.auth.session;
    proxy.next(REFRESH, { kind: "429", retryAfter: "120" });
    const e = await rejects(client.auth.refresh(), "rate_limited");
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 120_000, "the wait the host asked for, for the caller to honour");
    assert.deepEqual(timers.sleeps, [], "it did not sit out the two minutes");
    assert.equal(client.sentTo(REFRESH), 1, "and did not try again early");
    assert.deepEqual(client.auth.session, before);
    await assertSurvived(client, before);
  });

  test("a Retry-After longer than the refresh can hold the other tabs off fails it at once", async (t) => {
    const timers = sdkTimers(t);
    const client = await signedIn();
    const before = client.auth.session;
    // 20 s: with 15 s requests, the two attempts left would end past the 46.5 s after which
    // other tabs take the refresh lock over and send the same refresh token.
    proxy.next(REFRESH, { kind: "429", retryAfter: "20" });
    let settled = false;
    const refreshing = client.auth.refresh();
    refreshing.catch(() => {}).finally(() => (settled = true));
    // Until the refresh settles, or asks to sleep (then it would wait on the mocked timer).
    while (!settled && timers.sleeps.length === 0) await turn();
    assert.deepEqual(timers.sleeps, [], "it sat out the 20 s holding the lock");
    const e = await rejects(refreshing, "rate_limited");
    assert.equal(e.retryAfterMs, 20_000, "the wait the host asked for, for the caller to honour");
    assert.equal(client.sentTo(REFRESH), 1);
    assert.deepEqual(client.auth.session, before);
    await assertSurvived(client, before);
  });

  test("a 429 to an API call is rate_limited for that call only", async () => {
    const client = await signedIn();
    proxy.next(ME, { kind: "429", retryAfter: "1" });
    const e = await rejects(client.auth.getProfile(), "rate_limited");
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 1000);
    assert.equal(client.sentTo(ME), 1, "API calls are not retried by the SDK");
    await assertSurvived(client);
  });
});

describe("a refresh whose answer is lost after the emulator rotated the token", () => {
  // The emulator rotates the refresh token and the answer (with the new cookie) never arrives.
  // In server mode the SDK holds the only copy of the refresh cookie, so its retry can only
  // present the rotated token. Within the emulator's `refreshRetryGraceSeconds` (default 60 s)
  // that is a retry, not theft, while the successor it never received is unused
  // (docs/fidelity.md, "A lost refresh answer").
  const lost = [
    ["lost whole", { kind: "lose" }],
    ["cut off after 20 bytes", { kind: "reset", afterBytes: 20 }],
  ];

  /** Loses one refresh answer; returns the outcome of `auth.refresh()` after its one retry. */
  async function loseOne(client, timers, fault) {
    proxy.next(REFRESH, fault);
    const refreshing = client.auth.refresh().then(
      (session) => ({ session }),
      (error) => ({ error }),
    );
    await proxy.handled(REFRESH, 1);
    await timers.sleeping(1);
    await timers.advance(timers.sleeps[0]);
    const outcome = await refreshing;
    assert.equal(proxy.forwarded(REFRESH), 2, "the lost try and one retry reached the emulator");
    return outcome;
  }

  for (const [name, fault] of lost) {
    test(`answer ${name}: the retry is honoured and the session lives on`, async (t) => {
      const timers = sdkTimers(t);
      const client = await signedIn();
      const before = client.auth.session;
      const outcome = await loseOne(client, timers, fault);
      assert.ok(outcome.session, `got ${JSON.stringify(outcome)}`);
      assert.ok(outcome.session.expiresAt >= before.expiresAt, "a new session");
      assert.deepEqual(client.auth.session, outcome.session);
      assert.deepEqual(client.heard, ["SIGNED_IN", "TOKEN_REFRESHED"]);
      await assertSurvived(client, before);
      assert.ok(await client.auth.refresh(), "the retry's refresh token works");
    });
  }

  describe("with the grace off, a host that treats every replay as theft", () => {
    beforeEach(() => dev(emu.url).config({ refreshRetryGraceSeconds: 0 }));
    afterEach(() => dev(emu.url).config({ refreshRetryGraceSeconds: 60 }));

    // No client can keep such a session. What the SDK guarantees: it presents the spent token
    // once, ends the session cleanly with `session_expired` carrying the host's reason, and
    // sends nothing more with it.
    for (const [name, fault] of lost) {
      test(`answer ${name}: one retry, refused as reuse, and the session ends cleanly`, async (t) => {
        const timers = sdkTimers(t);
        const client = await signedIn();
        const outcome = await loseOne(client, timers, fault);
        assert.ok(outcome.error instanceof FronteggError, `got ${JSON.stringify(outcome)}`);
        assert.equal(outcome.error.code, "session_expired");
        assert.match(outcome.error.message, /already used/);
        assert.equal(client.auth.session, null, "signed out locally, as the host has");
        assert.deepEqual(client.heard, ["SIGNED_IN", "SESSION_EXPIRED"]);
        await rejects(client.auth.refresh(), "session_expired");
        assert.equal(proxy.forwarded(REFRESH), 2, "nothing more is sent with the spent token");
      });
    }
  });
});
