// `auth.fetch` (URL objects, Requests, which origins get the bearer token) and
// `logout({ everywhere })`, with the built npm package in Node (server mode) and the emulator.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createAuth } from "../../pkg/node.js";
import { startEmulator } from "../support/emulator.mjs";
import { rejects } from "../support/rejects.mjs";

const demo = { email: "demo@example.com", password: "Demo-pass-123!" };
let emu;
before(async () => (emu = await startEmulator()));
after(async () => emu?.stop());

/**
 * A client whose injected `fetch` records every request (URL, method, Authorization) and
 * forwards it to the emulator, except requests to https://api.example.com, which it answers.
 */
async function recordingClient(options = {}) {
  const seen = [];
  const auth = await createAuth({
    baseUrl: emu.url,
    ...options,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      seen.push({ url: request.url, method: request.method, authorization: request.headers.get("authorization") });
      if (new URL(request.url).origin === "https://api.example.com") {
        return new Response(JSON.stringify({ things: [] }), { headers: { "content-type": "application/json" } });
      }
      return fetch(request);
    },
  });
  return { auth, seen };
}

const bearer = (auth) => `Bearer ${auth.session.accessToken}`;

describe("auth.fetch", () => {
  test("takes a URL object and a Request, and sends each with the token", async () => {
    const { auth, seen } = await recordingClient();
    await auth.login(demo);
    const me = `${emu.url}/identity/resources/users/v2/me`;

    seen.length = 0;
    const byUrl = await auth.fetch(new URL(me));
    assert.equal(byUrl.status, 200);
    assert.equal((await byUrl.json()).email, demo.email);
    assert.deepEqual(seen, [{ url: me, method: "GET", authorization: bearer(auth) }]);

    seen.length = 0;
    const byRequest = await auth.fetch(
      new Request(me, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Renamed Through A Request" }),
      }),
    );
    assert.equal(byRequest.status, 200);
    assert.equal((await byRequest.json()).name, "Renamed Through A Request");
    assert.deepEqual(seen, [{ url: me, method: "PUT", authorization: bearer(auth) }]);

    // A URL object with init, as `fetch(url, init)` takes it.
    seen.length = 0;
    const withInit = await auth.fetch(new URL("/identity/resources/users/v2/me", emu.url), { method: "GET" });
    assert.equal(withInit.status, 200);
    assert.equal(seen[0].url, me);
    await auth.logout();
  });

  test("a foreign origin is refused with invalid_input and never sent, signed in or not", async () => {
    const { auth, seen } = await recordingClient();
    const foreign = ["https://evil.example/steal", new URL("https://evil.example/steal"), new Request("https://evil.example/steal")];
    for (const input of foreign) {
      const e = await rejects(auth.fetch(input), "invalid_input");
      assert.match(e.message, /https:\/\/evil\.example/);
      assert.match(e.message, /bearerOrigins/);
    }
    await auth.login(demo);
    seen.length = 0;
    for (const input of [
      ...foreign.map((i) => (i instanceof Request ? new Request(i) : i)),
      // Same host, other port or scheme: other origins.
      `${emu.url.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`)}/identity/resources/users/v2/me`,
      emu.url.replace("http://", "https://"),
      // The allowed host's name inside another host's URL.
      `https://evil.example/${emu.url}`,
      `https://api.example.com.evil.example/`,
      "data:text/plain,hello",
    ]) {
      await rejects(auth.fetch(input), "invalid_input");
    }
    // Node has no page: a relative URL has nothing to resolve against.
    await rejects(auth.fetch("/identity/resources/users/v2/me"), "invalid_input");
    assert.deepEqual(seen, [], "the injected fetch was never called");
    assert.ok(auth.session, "a refused request changes nothing");
    await auth.logout();
  });

  test("an origin in bearerOrigins gets the token", async () => {
    const { auth, seen } = await recordingClient({ bearerOrigins: ["https://API.example.com:443"] });
    await auth.login(demo);
    seen.length = 0;
    const response = await auth.fetch("https://api.example.com/things?page=2");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { things: [] });
    const viaUrl = await auth.fetch(new URL("https://api.example.com/things"), { method: "POST", body: "{}" });
    assert.equal(viaUrl.status, 200);
    assert.deepEqual(seen, [
      { url: "https://api.example.com/things?page=2", method: "GET", authorization: bearer(auth) },
      { url: "https://api.example.com/things", method: "POST", authorization: bearer(auth) },
    ]);
    // Its neighbours still are not.
    await rejects(auth.fetch("https://api.example.com:8443/things"), "invalid_input");
    await rejects(auth.fetch("http://api.example.com/things"), "invalid_input");
    assert.equal(seen.length, 2);
    await auth.logout();
  });

  test("bad bearerOrigins are invalid_input at createAuth", async () => {
    for (const bearerOrigins of ["https://api.example.com", ["https://api.example.com/v1"], ["api.example.com"],
      ["https://*.example.com"], ["ftp://api.example.com"], [42], [""], { 0: "https://api.example.com" }]) {
      const e = await rejects(createAuth({ baseUrl: emu.url, bearerOrigins }), "invalid_input");
      assert.match(e.message, /bearerOrigins/);
    }
    // Empty and missing are the default: none.
    await createAuth({ baseUrl: emu.url, bearerOrigins: [] });
  });
});

describe("logout({ everywhere })", () => {
  test("signs out every session of the user: another client's refresh then fails", async () => {
    const here = await createAuth({ baseUrl: emu.url, autoRefresh: false });
    const elsewhere = await createAuth({ baseUrl: emu.url, autoRefresh: false });
    const bystander = await createAuth({ baseUrl: emu.url, autoRefresh: false });
    await here.login(demo);
    await elsewhere.login(demo);
    await bystander.login(demo);

    // A plain logout ends this session only.
    await bystander.logout();
    await elsewhere.refresh();

    const events = [];
    here.onAuthStateChange((event) => events.push(event));
    await here.logout({ everywhere: true });
    assert.equal(here.session, null);
    assert.deepEqual(events, ["SIGNED_OUT"]);
    await rejects(here.refresh(), "session_expired");
    await rejects(elsewhere.refresh(), "session_expired");
    assert.equal(elsewhere.session, null);
  });

  test("sends the bearer revocation first, then the logout", async () => {
    const { auth, seen } = await recordingClient({ autoRefresh: false });
    await auth.login(demo);
    const token = bearer(auth);
    seen.length = 0;
    await auth.logout({ everywhere: true });
    assert.deepEqual(
      seen.map(({ url, method, authorization }) => [method, new URL(url).pathname, authorization]),
      [
        ["DELETE", "/identity/resources/users/sessions/v1/me/all", token],
        ["POST", "/identity/resources/auth/v1/logout", null],
      ],
    );
    // Signed out already, `everywhere` has nothing to revoke with: just the logout.
    seen.length = 0;
    await auth.logout({ everywhere: true });
    assert.deepEqual(seen.map((r) => new URL(r.url).pathname), ["/identity/resources/auth/v1/logout"]);
  });

  test("bad arguments are invalid_input, after a plain sign-out: a user who asked to leave is never kept in", async () => {
    const { auth, seen } = await recordingClient({ autoRefresh: false });
    for (const args of [{ everywhere: "yes" }, { everywhere: 1 }, { everyWhere: true }, "everywhere", true]) {
      await auth.login(demo);
      seen.length = 0;
      await rejects(auth.logout(args), "invalid_input");
      assert.equal(auth.session, null, `signed out by logout(${JSON.stringify(args)})`);
      // This session only: a bad argument never reads as `everywhere`.
      assert.deepEqual(seen.map((r) => new URL(r.url).pathname), ["/identity/resources/auth/v1/logout"]);
    }
  });

  test("the network failing still signs out locally; the failure is reported", async () => {
    let down = false;
    const auth = await createAuth({
      baseUrl: emu.url,
      autoRefresh: false,
      fetch: (...args) => (down ? Promise.reject(new TypeError("fetch failed")) : fetch(...args)),
    });
    await auth.login(demo);
    down = true;
    await rejects(auth.logout({ everywhere: true }), "network");
    assert.equal(auth.session, null);
    await auth.logout();
  });
});
