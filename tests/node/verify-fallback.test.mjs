// verifyAccessToken in Node checks signatures with node:crypto, on the key WebCrypto imported
// (pkg/node.js, src/wasm/edge.rs). Where that check can't answer (a runtime whose node:crypto
// can't take the key: it answers nothing, or throws), WebCrypto decides, and a forged token is
// still refused. This file replaces the Node check, so it has a process of its own.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as glue from "../../pkg/frontegg_auth_wasm_server.js";
import { verifyAccessToken } from "../../pkg/node.js";

const ISS = "https://fallback.example";
const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const json64 = (value) => b64(JSON.stringify(value));
const RSA = { name: "RSASSA-PKCS1-v1_5", publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256", modulusLength: 2048 };

let good, forged;
before(async () => {
  const pair = await crypto.subtle.generateKey(RSA, true, ["sign", "verify"]);
  const { kty, n, e } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  globalThis.fetch = async () => new Response(JSON.stringify({ keys: [{ kty, n, e, kid: "k1" }] }), { status: 200 });
  const now = Math.floor(Date.now() / 1000);
  const signed = `${json64({ alg: "RS256", kid: "k1" })}.${json64({ sub: "u", type: "userToken", iss: ISS, iat: now, exp: now + 600 })}`;
  const signature = await crypto.subtle.sign(RSA, pair.privateKey, new TextEncoder().encode(signed));
  good = `${signed}.${b64(new Uint8Array(signature))}`;
  forged = `${signed}.${b64(new Uint8Array(256))}`;
});

const verdict = (token) => verifyAccessToken(token, { baseUrl: ISS }).then(() => "accept", (e) => e.code);

for (const [name, check] of [
  ["answers nothing", () => undefined],
  ["throws", () => {
    throw new TypeError("this runtime's node:crypto can't take a CryptoKey");
  }],
]) {
  test(`when the node:crypto check ${name}, WebCrypto decides`, async () => {
    assert.equal(await verdict(good), "accept", "with node:crypto");
    let asked = 0;
    glue.__syncVerify((...args) => {
      asked += 1;
      return check(...args);
    });
    assert.equal(await verdict(good), "accept");
    assert.equal(await verdict(forged), "unauthorized");
    assert.equal(asked, 2);
  });
}
