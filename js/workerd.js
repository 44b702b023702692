// Cloudflare workerd: the server build, its wasm arriving as a compiled WebAssembly.Module import
// (workerd does not compile wasm from bytes at run time).
import wasmModule from "./frontegg_auth_wasm_server_bg.wasm";
import * as glue from "./frontegg_auth_wasm_server.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(glue, () => wasmModule);
