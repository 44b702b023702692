// Node and Deno: the server build, read from disk (Node's fetch cannot load file: URLs).
import { KeyObject, verify } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as glue from "./frontegg_auth_wasm_server.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";

// verifyAccessToken's signature check with node:crypto, synchronous, on the WebCrypto key the
// wasm imported: Node's WebCrypto answers each one from its thread pool, three times slower
// (src/wasm/edge.rs). The wasm decides what is checked; this only computes. `undefined` where
// this runtime's node:crypto can't take the key: the wasm asks WebCrypto then.
const keyObjects = new WeakMap();
function rsaVerify(key, signature, signed) {
  let object = keyObjects.get(key);
  if (object === undefined) {
    try {
      object = KeyObject.from(key);
    } catch {
      object = null;
    }
    keyObjects.set(key, object);
  }
  return object === null ? undefined : verify("sha256", signed, object, signature);
}

export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(
  glue,
  () => readFile(new URL("./frontegg_auth_wasm_server_bg.wasm", import.meta.url)),
  (loaded) => loaded.__syncVerify(rsaVerify),
);
