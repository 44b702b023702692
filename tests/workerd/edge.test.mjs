// The package in Cloudflare's workerd (through miniflare): a Worker verifying bearer tokens.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createAuth } from "../../pkg/node.js";
import { startEmulator } from "../support/emulator.mjs";
import { startWorker } from "../support/workerd.mjs";

let emu, worker;
before(async () => {
  emu = await startEmulator();
  worker = startWorker(new URL("verify-worker.js", import.meta.url), {
    bindings: { BASE_URL: emu.url },
  });
});
after(async () => {
  await worker?.dispose();
  await emu?.stop();
});

const call = (token) =>
  worker.dispatchFetch("http://worker/", token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(async (r) => [r.status, await r.json()]);

test("a Worker verifies a real token and refuses a forged or missing one", async () => {
  const auth = await createAuth({ baseUrl: emu.url, autoRefresh: false });
  const { session } = await auth.login({ email: "demo@example.com", password: "Demo-pass-123!" });
  const [status, body] = await call(session.accessToken);
  assert.equal(status, 200, JSON.stringify(body));
  assert.deepEqual(body, { ok: true, email: "demo@example.com", tenantId: "tenant-acme" });

  const [h, p, s] = session.accessToken.split(".");
  const claims = { ...JSON.parse(Buffer.from(p, "base64url")), tenantId: "tenant-globex" };
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString("base64url"), s].join(".");
  const [forgedStatus, forgedBody] = await call(forged);
  assert.equal(forgedStatus, 401);
  assert.equal(forgedBody.code, "unauthorized");
  assert.match(forgedBody.message, /signature/);
  assert.equal((await call(null))[1].code, "unauthorized");
});
