// Initialises the wasm module once per realm, then hands out clients. The only logic here is
// loading: every flow lives in the Rust core.
import init, { createAuth as create, verifyAccessToken as verify, __setErrorClass } from "./frontegg_auth_wasm.js";
import { FronteggError } from "./error.js";
import { FronteggAuth, supportsPasskeys as supports } from "./frontegg_auth_wasm.js";

/** Binds the package to a way of getting the wasm bytes (undefined: fetch next to this file). */
export function bind(source) {
  let ready;
  const load = () =>
    (ready ??= init(source === undefined ? undefined : { module_or_path: source() })
      .then(() => __setErrorClass(FronteggError))
      .catch((e) => {
        ready = undefined; // let a later call retry, e.g. after the network came back
        throw new FronteggError("network", `Could not load the SDK's WebAssembly: ${e?.message ?? e}`);
      }));
  // Asked before any client exists (to show a passkey button), so it loads the module first;
  // `FronteggAuth.supportsPasskeys()` is the same function.
  const supportsPasskeys = async () => {
    await load();
    return supports();
  };
  FronteggAuth.supportsPasskeys = supportsPasskeys;
  return {
    supportsPasskeys,
    async createAuth(options) {
      await load();
      return create(options);
    },
    async verifyAccessToken(token, options) {
      await load();
      return verify(token, options);
    },
  };
}
