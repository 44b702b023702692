// Browsers and bundlers: the browser build, fetched next to this module and compiled while it
// streams. (verifyAccessToken and loginWithApiToken are in the server build: they reject here.)
import * as glue from "./frontegg_auth_wasm.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(glue, undefined);
