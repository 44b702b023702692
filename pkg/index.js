// Browsers and bundlers: the wasm file is fetched next to this module and compiled while it streams.
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./frontegg_auth_wasm.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(undefined);
