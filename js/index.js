// Browsers and bundlers: the browser build, fetched next to this module and compiled while it
// streams. (verifyAccessToken and loginWithApiToken are in the server build: they reject here.)
import load, * as wasm from "./frontegg_auth_wasm.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";
// Only what the loader uses, so that the bundle leaves the rest of the glue out.
const glue = {
  default: load,
  __init: wasm.__init,
  createAuth: wasm.createAuth,
  supportsPasskeys: wasm.supportsPasskeys,
  verifyAccessToken: wasm.verifyAccessToken,
};
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(glue, undefined);
