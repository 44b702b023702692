// Initialises a wasm build once per realm, then hands out clients. The only logic here is
// loading: every flow lives in the Rust core.
import { FronteggAuth } from "./client.js";
import { FronteggError } from "./error.js";
import * as runtime from "./runtime.js";

/**
 * Binds one wasm-bindgen build (`glue`, its module namespace) to a way of getting its wasm
 * (`source`; undefined: fetched next to the glue). `setup(glue)`, if given, runs once it is
 * loaded.
 */
export function bind(glue, source, setup) {
  let ready;
  let loaded = false;
  const load = () =>
    (ready ??= glue
      .default(source === undefined ? undefined : { module_or_path: source() })
      .then(() => {
        glue.__init(runtime);
        setup?.(glue);
        loaded = true;
      })
      .catch((e) => {
        ready = undefined; // let a later call retry, e.g. after the network came back
        throw new FronteggError("network", `Could not load the SDK's WebAssembly: ${e?.message ?? e}`);
      }));
  // Asked before any client exists (to show a passkey button), so it loads the module first;
  // `FronteggAuth.supportsPasskeys()` is the same function.
  const supportsPasskeys = async () => {
    await load();
    return glue.supportsPasskeys();
  };
  FronteggAuth.supportsPasskeys = supportsPasskeys;
  return {
    supportsPasskeys,
    async createAuth(options) {
      await load();
      return new FronteggAuth(glue.createAuth(options));
    },
    // Called for every request an edge lets through: once loaded it goes straight to the wasm,
    // which answers a promise itself, rather than through an await (microtasks more per call).
    verifyAccessToken(token, options) {
      if (loaded) return glue.verifyAccessToken(token, options);
      return load().then(() => glue.verifyAccessToken(token, options));
    },
  };
}
