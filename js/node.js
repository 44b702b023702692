// Node and Deno: the server build, read from disk (Node's fetch cannot load file: URLs).
import { constants, KeyObject, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as glue from "./frontegg_auth_wasm_server.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";

// verifyAccessToken's signature check with node:crypto, synchronous, on the WebCrypto key the
// wasm imported: Node's WebCrypto answers each one from its thread pool, three times slower
// (src/wasm/edge.rs). The wasm decides what is checked; this only computes RS256 (PKCS#1 v1.5,
// SHA-256, named rather than left to the key). `undefined` where this runtime's node:crypto
// can't take the key, or it is not an RSA key: the wasm asks WebCrypto then.
const keyObjects = new WeakMap();
function rsaVerify(key, signature, signed) {
  let rsa = keyObjects.get(key);
  if (rsa === undefined) {
    try {
      const object = KeyObject.from(key);
      rsa = object.asymmetricKeyType === "rsa" ? { key: object, padding: constants.RSA_PKCS1_PADDING } : null;
    } catch {
      rsa = null;
    }
    keyObjects.set(key, rsa);
  }
  return rsa === null ? undefined : verify("sha256", signed, rsa, signature);
}

export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(
  glue,
  () => readFile(new URL("./frontegg_auth_wasm_server_bg.wasm", import.meta.url)),
  (loaded) => loaded.__syncVerify(rsaVerify),
);
