// Initialises the wasm module once per realm, then hands out clients. The only logic here is
// loading: every flow lives in the Rust core.
import init, { createAuth as create, __setErrorClass } from "./frontegg_auth_wasm.js";
import { FronteggError } from "./error.js";

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
  return {
    async createAuth(options) {
      await load();
      return create(options);
    },
  };
}
