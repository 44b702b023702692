// Behaviour check of each variant against the local server (same assertions for all).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import assert from "node:assert/strict";
import { start, stats } from "./server.mjs";
import { VARIANTS } from "./variants.mjs";

const server = await start();
const baseUrl = `http://127.0.0.1:${server.address().port}`;
for (const name of process.argv.slice(2)) {
  const v = VARIANTS[name];
  const { createAuth, FronteggError } = await import(pathToFileURL(v.js));
  const auth = await createAuth({ baseUrl }, readFileSync(v.wasm));
  await assert.rejects(auth.getProfile(), (e) => e instanceof FronteggError && e.code === "unauthorized");
  await assert.rejects(auth.login({ email: "a@b.c", password: "no" }), (e) => e instanceof FronteggError && e.code === "invalid_credentials" && e.status === 401 && e.message === "Invalid authentication");
  await assert.rejects(auth.login({ email: 1 }), (e) => e.code === "invalid_input");
  const s = await auth.login({ email: "a@b.c", password: "pw" });
  assert.match(s.accessToken, /^tok-/);
  assert.ok(s.expiresAt > Date.now());
  const p = await auth.getProfile();
  assert.equal(p.email, "demo@example.com");
  assert.deepEqual(p.roles, [{ id: "r1", key: "Admin", name: "Admin" }]);
  // Single flight: three concurrent refreshes, one request.
  const r0 = stats.refresh;
  const [x, y, z] = await Promise.all([auth.refresh(), auth.refresh(), auth.refresh()]);
  assert.equal(stats.refresh - r0, 1);
  assert.equal(x.accessToken, z.accessToken);
  // 401 -> one refresh -> retry; two concurrent callers share it.
  await fetch(`${baseUrl}/__rotate`);
  const r1 = stats.refresh;
  const [p1, p2] = await Promise.all([auth.getProfile(), auth.getProfile()]);
  assert.equal(p1.id, p2.id);
  assert.equal(stats.refresh - r1, 1);
  // Unreachable host.
  const dead = await createAuth({ baseUrl: "http://127.0.0.1:1" }, readFileSync(v.wasm));
  await assert.rejects(dead.login({ email: "a@b.c", password: "pw" }), (e) => e.code === "network");
  await assert.rejects(createAuth({ baseUrl: "ftp://x" }, readFileSync(v.wasm)), (e) => e.code === "invalid_input");
  console.log(`${name}: ok`);
}
server.close();
