// WebAuthn in Node: no browser, so no ceremony. The checks fail at once with
// `webauthn_unsupported` (before asking the server for a challenge), while the passkey calls
// that need no ceremony work as anywhere else.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createAuth, FronteggAuth, supportsPasskeys } from "../../pkg/node.js";
import { startEmulator } from "../support/emulator.mjs";
import { rejects } from "../support/rejects.mjs";

let emu;
before(async () => (emu = await startEmulator()));
after(async () => emu?.stop());

test("no passkeys in Node: supportsPasskeys is false and ceremonies are webauthn_unsupported", async () => {
  // Before any client exists: the loader initialises the module for it.
  assert.equal(await supportsPasskeys(), false);
  assert.equal(await FronteggAuth.supportsPasskeys(), false);

  const auth = await createAuth({ baseUrl: emu.url });
  await rejects(auth.passkeyLogin(), "webauthn_unsupported");
  await rejects(auth.passkeyLogin({ email: "demo@example.com", conditional: true }), "webauthn_unsupported");
  assert.equal((await auth.login({ email: "demo@example.com", password: "Demo-pass-123!" })).status, "authenticated");
  await rejects(auth.passkeyRegister({ name: "x" }), "webauthn_unsupported");
  await rejects(auth.mfaSettingsEnrollWebAuthn({ deviceType: "Platform" }), "webauthn_unsupported");
  await rejects(auth.mfaDisableDevice({ kind: "webauthn", deviceId: "d1" }), "webauthn_unsupported");
  // As for every ceremony, where WebAuthn can't run that is the answer, before the arguments.
  await rejects(auth.mfaDisableDevice({ kind: "webauthn", deviceId: "a/b" }), "webauthn_unsupported");
  const e = await rejects(auth.mfaVerifyWebAuthn({ deviceId: "d1", signal: new AbortController().signal }), "webauthn_unsupported");
  assert.match(e.message, /WebAuthn/);
  // No ceremony needed: these work in Node too.
  assert.deepEqual(await auth.passkeysList(), []);
  await rejects(auth.passkeyRemove("no-such-passkey"), "not_found");
});
