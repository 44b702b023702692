// Cloudflare workerd: the wasm arrives as a compiled WebAssembly.Module import (workerd does not
// compile wasm from bytes at run time).
import wasmModule from "./frontegg_auth_wasm_bg.wasm";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./frontegg_auth_wasm.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(() => wasmModule);
