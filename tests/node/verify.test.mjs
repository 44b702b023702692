// verifyAccessToken against jose (issue 14): the same vectors through jose's jwtVerify and through
// ours, with the verdicts expected to agree except where ours is stricter on purpose (and then
// only in that direction); random and mutated tokens; and the JWKS cache: one fetch at a time,
// failures not refetched per token, unknown kids refetched at most once per cooldown, the TTL.
// The JWKS hosts are stubbed in `globalThis.fetch`, which the SDK's verifyAccessToken calls;
// the clock is `Date.now`, shifted where a test needs time to pass.
//
// In Node (and Deno, which loads the same pkg/node.js) the signature is checked with
// node:crypto's synchronous verify, and with WebCrypto wherever that can't answer. The vectors
// run through both: first as the package ships, then, at the end of this file, with the
// node:crypto check replaced by one that never answers (the suites run in order, and nothing
// after the replacement needs node:crypto).
import assert from "node:assert/strict";
import { afterEach, before, describe, test } from "node:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import * as glue from "../../pkg/frontegg_auth_wasm_server.js";
import { verifyAccessToken } from "../../pkg/node.js";
import { rejects } from "../support/rejects.mjs";

const ISS = "https://id.example";
const AUD = "app-client-id";
const b64 = (bytes) => Buffer.from(bytes).toString("base64url");
const json64 = (value) => b64(JSON.stringify(value));
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The JWKS hosts: URL → { answer(), fetches }; anything else is unreachable. */
const hosts = new Map();
globalThis.fetch = async (url) => {
  const host = hosts.get(String(url));
  if (!host) throw new TypeError("fetch failed");
  host.fetches += 1;
  return host.answer();
};
function serve(url, answer) {
  const host = { answer, fetches: 0 };
  hosts.set(url, host);
  return host;
}
const jwksAnswer = (jwks, headers = {}) => () =>
  new Response(JSON.stringify(jwks), { status: 200, headers: { "content-type": "application/json", ...headers } });

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});
/** Moves the clock `ms` forward from where it is. */
function advance(ms) {
  const base = Date.now;
  Date.now = () => base() + ms;
}

const RSA = { name: "RSASSA-PKCS1-v1_5", publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" };
async function keyPair(kid, bits = 2048, extra = {}) {
  const pair = await crypto.subtle.generateKey({ ...RSA, modulusLength: bits }, true, ["sign", "verify"]);
  const { kty, n, e } = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { kid, privateKey: pair.privateKey, jwk: { kty, n, e, kid, ...extra } };
}

/** An RS256 JWT signed with `key`; `header` and `claims` are added to a valid user token's. */
async function sign(key, claims = {}, header = {}) {
  const now = nowSeconds();
  const body = {
    sub: "user-1", email: "a@example.com", type: "userToken", iss: ISS, aud: AUD, iat: now, exp: now + 600,
    ...claims,
  };
  const signed = `${json64({ alg: "RS256", typ: "JWT", kid: key.kid, ...header })}.${json64(body)}`;
  const signature = await crypto.subtle.sign(RSA, key.privateKey, new TextEncoder().encode(signed));
  return `${signed}.${b64(new Uint8Array(signature))}`;
}
const without = (claim) => ({ [claim]: undefined });

/** Mulberry32, so a failure replays from its seed. */
function prng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const B64_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** "accept" or the error's code. */
const ours = (token, options) => verifyAccessToken(token, options).then(() => "accept", (e) => {
  assert.equal(e.name, "FronteggError", String(e));
  return e.code;
});
const joseVerdict = (token, jwks, options) =>
  jwtVerify(token, jwks, options).then(() => "accept", () => "reject");

/** The vectors' keys, made once: both runs of the vectors use them (the SDK keeps the keys it
 * fetched for the issuer, so the second run must present the same ones). */
let vectorKeys;
function makeVectorKeys() {
  vectorKeys ??= (async () => ({
    good: await keyPair("k1"),
    enc: await keyPair("k-enc", 2048, { use: "enc" }),
    rs512: await keyPair("k-rs512", 2048, { alg: "RS512" }),
    small: await keyPair("k-small", 1024),
    stranger: await keyPair("k-stranger"),
  }))();
  return vectorKeys;
}

/** The vectors, checked by `check` ("node:crypto", or "WebCrypto" once the former is replaced). */
const sameVectors = (check) => describe(`the same vectors through jose and verifyAccessToken (${check})`, () => {
  const url = `${ISS}/.well-known/jwks.json`;
  let keys, jwks, joseKeys, host;
  before(async () => {
    keys = await makeVectorKeys();
    jwks = { keys: [keys.good, keys.enc, keys.rs512, keys.small].map((k) => k.jwk) };
    joseKeys = createLocalJWKSet(jwks);
    host = serve(url, jwksAnswer(jwks));
  });

  const options = { baseUrl: ISS, audience: AUD };
  // jose is given what it has options for; its defaults do the rest.
  const joseOptions = { issuer: ISS, audience: AUD };

  /** [name, token maker, ours, extra options of ours, why ours is stricter than jose's defaults] */
  const vectors = [
    ["valid", (k) => sign(k.good), "accept"],
    ["valid, aud an array holding ours", (k) => sign(k.good, { aud: ["other", AUD] }), "accept"],
    ["expired an hour ago", (k) => sign(k.good, { exp: nowSeconds() - 3600 }), "unauthorized"],
    ["expired 5 s ago (no default skew)", (k) => sign(k.good, { exp: nowSeconds() - 5 }), "unauthorized"],
    ["expired 5 s ago, 30 s of skew allowed", (k) => sign(k.good, { exp: nowSeconds() - 5 }), "accept", { clockSkewSeconds: 30 }],
    ["nbf in the future", (k) => sign(k.good, { nbf: nowSeconds() + 600 }), "unauthorized"],
    ["exp not a number", (k) => sign(k.good, { exp: String(nowSeconds() + 600) }), "unauthorized"],
    ["iat not a number", (k) => sign(k.good, { iat: "yesterday" }), "unauthorized"],
    ["wrong iss", (k) => sign(k.good, { iss: "https://evil.example" }), "unauthorized"],
    ["no iss", (k) => sign(k.good, without("iss")), "unauthorized"],
    ["wrong aud", (k) => sign(k.good, { aud: "someone-else" }), "unauthorized"],
    ["no aud", (k) => sign(k.good, without("aud")), "unauthorized"],
    ["alg none, no signature", async (k) => {
      const [, payload] = (await sign(k.good)).split(".");
      return `${json64({ alg: "none", kid: "k1" })}.${payload}.`;
    }, "unauthorized"],
    ["HS256 with the public key as the HMAC secret", async (k) => {
      const secret = new TextEncoder().encode(JSON.stringify(k.good.jwk));
      const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const [, payload] = (await sign(k.good)).split(".");
      const signed = `${json64({ alg: "HS256", kid: "k1" })}.${payload}`;
      return `${signed}.${b64(new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(signed))))}`;
    }, "unauthorized"],
    ["a kid the JWKS lacks", (k) => sign(k.stranger), "unauthorized"],
    ["signed by another key under our kid", (k) => sign({ ...k.stranger, kid: "k1" }), "unauthorized"],
    ["tampered payload", async (k) => {
      const [h, , s] = (await sign(k.good)).split(".");
      const [, p] = (await sign(k.good, { sub: "admin" })).split(".");
      return `${h}.${p}.${s}`;
    }, "unauthorized"],
    ["tampered signature", async (k) => {
      const [h, p, s] = (await sign(k.good)).split(".");
      const bytes = Buffer.from(s, "base64url");
      bytes[10] ^= 0x01;
      return `${h}.${p}.${b64(bytes)}`;
    }, "unauthorized"],
    ["crit header extension", (k) => sign(k.good, {}, { crit: ["exp"], exp: 1 }), "unauthorized"],
    ["key with use: enc", (k) => sign(k.enc), "unauthorized"],
    ["key with alg: RS512", (k) => sign(k.rs512), "unauthorized"],
    ["1024-bit key", (k) => sign(k.small), "unauthorized"],
    ["no exp", (k) => sign(k.good, without("exp")), "unauthorized", {}, "exp is required"],
    ["tenant API token as a user token", (k) => sign(k.good, { type: "tenantApiToken" }), "unauthorized", {}, "tokenType defaults to user"],
    ["personal API token as a user token", (k) => sign(k.good, { type: "userApiToken" }), "unauthorized", {}, "tokenType defaults to user"],
    ["untyped token", (k) => sign(k.good, without("type")), "unauthorized", {}, "tokenType defaults to user"],
    ["API token with tokenType api", (k) => sign(k.good, { type: "tenantApiToken" }), "accept", { tokenType: "api" }],
    ["user token with tokenType api", (k) => sign(k.good), "unauthorized", { tokenType: "api" }, "tokenType api"],
    ["either with tokenType any", (k) => sign(k.good, { type: "userApiToken" }), "accept", { tokenType: "any" }],
  ];

  for (const [name, make, expected, extra = {}, stricter] of vectors) {
    test(`${name}: ${expected}${stricter ? ` (jose's defaults accept: ${stricter})` : ""}`, async () => {
      const token = await make(keys);
      const joseOwn = extra.clockSkewSeconds ? { clockTolerance: extra.clockSkewSeconds } : {};
      const jose = await joseVerdict(token, joseKeys, { ...joseOptions, ...joseOwn });
      assert.equal(await ours(token, { ...options, ...extra }), expected);
      const verdict = expected === "accept" ? "accept" : "reject";
      assert.equal(jose, stricter ? "accept" : verdict, "jose's verdict");
    });
  }

  test("seeded random mutations of a valid token: the same verdict as jose, always unauthorized when refused", async () => {
    const random = prng(0x5eed14);
    const token = await sign(keys.good);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const parts = token.split(".");
      const which = Math.floor(random() * 3);
      const chars = [...parts[which]];
      const at = Math.floor(random() * chars.length);
      const others = B64_CHARS.replace(chars[at], "");
      chars[at] = others[Math.floor(random() * others.length)];
      parts[which] = chars.join("");
      const mutated = parts.join(".");
      const jose = await joseVerdict(mutated, joseKeys, joseOptions);
      const verdict = await ours(mutated, options);
      assert.equal(verdict === "accept" ? "accept" : "reject", jose, `mutation ${i} (part ${which}, at ${at})`);
      if (verdict !== "accept") {
        assert.equal(verdict, "unauthorized", `mutation ${i}`);
        refused += 1;
      }
    }
    assert.ok(refused > 250, `${refused} of 300 mutations refused`);
  });

  test("seeded random tokens are refused as unauthorized, and a valid one verifies afterwards", async () => {
    const random = prng(14);
    const alphabet = `${B64_CHARS}.=+/ {}"\\\u0000\u00e9`;
    const pick = (n) => Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
    const segment = () => [
      () => pick(Math.floor(random() * 40)),
      () => json64({ alg: "RS256", kid: pick(4) }),
      () => b64("[".repeat(1 + Math.floor(random() * 5000))),
      () => b64(crypto.getRandomValues(new Uint8Array(Math.floor(random() * 300)))),
    ][Math.floor(random() * 4)]();
    for (let i = 0; i < 500; i++) {
      const n = 1 + Math.floor(random() * 4);
      const token = Array.from({ length: n }, segment).join(".");
      assert.equal(await ours(token, options), "unauthorized", `token ${i}: ${token.slice(0, 80)}`);
    }
    assert.equal(await ours(await sign(keys.good), options), "accept");
    // Mutated kids are unknown: the first fetch's cooldown covers them (one refetch if the run
    // took longer than it).
    assert.ok(host.fetches <= 2, `${host.fetches} JWKS fetches`);
  });
});
sameVectors("node:crypto");

describe("the JWKS cache", () => {
  let key;
  before(async () => (key = await keyPair("k1")));
  let n = 0;
  /** A fresh host per test, so no test sees another's cache. */
  const fresh = () => `https://host-${++n}.example`;
  const unknownKid = async (i) => sign({ ...key, kid: `made-up-${i}` });

  test("concurrent verifications share one fetch", async () => {
    const base = fresh();
    let release;
    const gate = new Promise((r) => (release = r));
    const host = serve(`${base}/.well-known/jwks.json`, async () => {
      await gate;
      return jwksAnswer({ keys: [key.jwk] })();
    });
    const token = await sign(key, { iss: base });
    const all = Promise.all(Array.from({ length: 20 }, () => ours(token, { baseUrl: base })));
    await new Promise((r) => setTimeout(r, 20));
    release();
    assert.deepEqual(new Set(await all), new Set(["accept"]));
    assert.equal(host.fetches, 1);
  });

  test("while the JWKS host is down, 100 tokens with unknown kids cause one fetch", async () => {
    const base = fresh();
    const host = serve(`${base}/.well-known/jwks.json`, () => {
      throw new TypeError("connect ECONNREFUSED");
    });
    const concurrent = await Promise.all(Array.from({ length: 50 }, async (_, i) => ours(await unknownKid(i), { baseUrl: base })));
    assert.deepEqual(new Set(concurrent), new Set(["network"]));
    for (let i = 50; i < 100; i++) assert.equal(await ours(await unknownKid(i), { baseUrl: base }), "network");
    assert.equal(host.fetches, 1);
    // After the backoff, one more try, and again one only.
    advance(2_500);
    await Promise.all(Array.from({ length: 20 }, async (_, i) => ours(await unknownKid(i), { baseUrl: base })));
    assert.equal(host.fetches, 2);
  });

  test("an unknown kid refetches at most once per 30 s; a rotated key is found then", async () => {
    const base = fresh();
    const rotated = await keyPair("k2");
    let keys = [key.jwk];
    const host = serve(`${base}/.well-known/jwks.json`, () => jwksAnswer({ keys })());
    const options = { baseUrl: base };
    assert.equal(await ours(await sign(key, { iss: base }), options), "accept");
    for (let i = 0; i < 100; i++) assert.equal(await ours(await unknownKid(i), options), "unauthorized");
    assert.equal(host.fetches, 1, "the first fetch's cooldown covers them");
    keys = [key.jwk, rotated.jwk];
    const next = await sign(rotated, { iss: base });
    assert.equal(await ours(next, options), "unauthorized", "still cooling down");
    advance(31_000);
    assert.equal(await ours(next, options), "accept");
    assert.equal(host.fetches, 2);
  });

  test("Cache-Control max-age sets how long keys are kept", async () => {
    const base = fresh();
    const host = serve(`${base}/.well-known/jwks.json`, jwksAnswer({ keys: [key.jwk] }, { "cache-control": "public, max-age=120" }));
    const token = await sign(key, { iss: base, exp: nowSeconds() + 3600 });
    assert.equal(await ours(token, { baseUrl: base }), "accept");
    advance(119_000);
    assert.equal(await ours(token, { baseUrl: base }), "accept");
    assert.equal(host.fetches, 1);
    advance(2_000);
    assert.equal(await ours(token, { baseUrl: base }), "accept");
    assert.equal(host.fetches, 2, "refetched after max-age");
  });

  test("stale keys are not used when the refetch fails", async () => {
    const base = fresh();
    let up = true;
    const host = serve(`${base}/.well-known/jwks.json`, () => {
      if (!up) return new Response("busy", { status: 503 });
      return jwksAnswer({ keys: [key.jwk] })();
    });
    const token = await sign(key, { iss: base, exp: nowSeconds() + 86_400 });
    assert.equal(await ours(token, { baseUrl: base }), "accept");
    up = false;
    advance(11 * 60_000);
    assert.equal(await ours(token, { baseUrl: base }), "server");
    assert.equal(await ours(token, { baseUrl: base }), "server", "the failure is replayed");
    assert.equal(host.fetches, 2);
  });

  test("a redirect is not followed", async () => {
    const base = fresh();
    serve(`${base}/.well-known/jwks.json`, () => new Response(null, { status: 302, headers: { location: "https://elsewhere.example/keys" } }));
    const e = await rejects(verifyAccessToken(await sign(key, { iss: base }), { baseUrl: base }), "server");
    assert.match(e.message, /302/);
  });

  test("plain http only from loopback; bad options are invalid_input before any fetch", async () => {
    const token = await sign(key);
    for (const bad of [
      { baseUrl: "http://id.example" },
      { jwksUrl: "http://10.0.0.1/keys" },
      { baseUrl: "http://localhost.evil.example" },
      { baseUrl: ISS, tokenType: "machine" },
      { baseUrl: ISS, clockSkewSeconds: -1 },
      { baseUrl: ISS, issuer: "" },
    ]) {
      await rejects(verifyAccessToken(token, bad), "invalid_input");
    }
    for (const loopback of ["http://localhost:1", "http://127.0.0.1:1", "http://[::1]:1"]) {
      // Allowed, and unreachable here.
      await rejects(verifyAccessToken(token, { baseUrl: loopback }), "network");
    }
  });
});

describe("the signature check in Node and Deno: node:crypto, and WebCrypto where it can't answer", () => {
  let key;
  before(async () => (key = await keyPair("k1")));
  let hosts = 0;
  const host = () => {
    const base = `https://check-${++hosts}.example`;
    serve(`${base}/.well-known/jwks.json`, jwksAnswer({ keys: [key.jwk] }));
    return base;
  };
  /** A valid token and a forged one (its signature all zeros) from `base`. */
  const tokens = async (base) => {
    const valid = await sign(key, { iss: base });
    const [header, payload] = valid.split(".");
    return { valid, forged: `${header}.${payload}.${b64(new Uint8Array(256))}` };
  };

  test("with the key at hand, a token is settled before the event loop turns (node:crypto, not WebCrypto's thread pool)", async () => {
    const base = host();
    const { valid, forged } = await tokens(base);
    assert.equal(await ours(valid, { baseUrl: base }), "accept", "the keys fetched");
    for (const [token, expected] of [[valid, "accept"], [forged, "unauthorized"]]) {
      let turned = false;
      setImmediate(() => (turned = true));
      assert.equal(await ours(token, { baseUrl: base }), expected);
      assert.equal(turned, false, `${expected}: settled only after the event loop turned`);
    }
  });

  // Each replaces the package's check for the rest of this file.
  for (const [name, check] of [
    ["throws", () => {
      throw new TypeError("this runtime's node:crypto can't take a CryptoKey");
    }],
    ["answers nothing", () => undefined],
  ]) {
    test(`when the node:crypto check ${name}, WebCrypto decides`, async () => {
      const base = host();
      const { valid, forged } = await tokens(base);
      let asked = 0;
      glue.__syncVerify((...args) => {
        asked += 1;
        return check(...args);
      });
      assert.equal(await ours(valid, { baseUrl: base }), "accept");
      assert.equal(await ours(forged, { baseUrl: base }), "unauthorized");
      assert.equal(await ours(await sign(key, { iss: base, exp: nowSeconds() - 60 }), { baseUrl: base }), "unauthorized", "expired");
      assert.equal(asked, 3);
    });
  }
});

// The check now never answers: every vector again, through WebCrypto.
sameVectors("WebCrypto");
