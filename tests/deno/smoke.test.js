// The same built package in Deno (server mode): sign in, refresh, verify, sign out, errors.
// Run by `make test` as: deno test --allow-read --allow-net --allow-run --allow-env tests/deno/
import { assert, assertEquals, assertRejects } from "./assert.js";
import { createAuth, FronteggError, verifyAccessToken } from "../../pkg/node.js";

const root = new URL("../../", import.meta.url);
const bin = Deno.env.get("FRONTEGG_EMULATOR_BIN") ?? new URL("target/debug/frontegg-emulator", root).pathname;
const demo = { email: "demo@example.com", password: "Demo-pass-123!" };

async function withEmulator(run) {
  const child = new Deno.Command(bin, { args: ["--port", "0", "--memory", "--seed", "demo"], stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the emulator exited before listening");
    first += value;
  }
  const url = /listening on (\S+)/.exec(first)[1];
  try {
    await run(url);
  } finally {
    await reader.cancel(); // also closes the emulator's stdout
    child.kill();
    await child.status;
  }
}

Deno.test("server mode in Deno: login, profile, refresh, verify, logout", () =>
  withEmulator(async (url) => {
    const auth = await createAuth({ baseUrl: url, autoRefresh: false });
    const result = await auth.login(demo);
    assertEquals(result.status, "authenticated");
    assert(result.session.refreshToken, "server mode keeps the refresh token");
    assertEquals((await auth.getProfile()).email, demo.email);
    const refreshed = await auth.refresh();
    assert(refreshed.refreshToken !== result.session.refreshToken, "rotated");
    const claims = await verifyAccessToken(refreshed.accessToken, { baseUrl: url, issuer: url });
    assertEquals(claims.email, demo.email);
    await auth.logout();
    assertEquals(auth.session, null);
    const err = await assertRejects(() => auth.refresh(), FronteggError);
    assertEquals(err.code, "session_expired");
  }),
);

Deno.test("errors in Deno are FronteggErrors with codes", () =>
  withEmulator(async (url) => {
    const auth = await createAuth({ baseUrl: url, autoRefresh: false });
    assertEquals((await assertRejects(() => auth.login({ ...demo, password: "wrong" }), FronteggError)).code, "invalid_credentials");
    assertEquals((await assertRejects(() => auth.login({ email: demo.email }), FronteggError)).code, "invalid_input");
    assertEquals((await assertRejects(() => createAuth({ baseUrl: "nope" }), FronteggError)).code, "invalid_input");
  }),
);
