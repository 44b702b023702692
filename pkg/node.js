// Node: the wasm file is read from disk (Node's fetch cannot load file: URLs).
import { readFile } from "node:fs/promises";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./frontegg_auth_wasm.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(() => readFile(new URL("./frontegg_auth_wasm_bg.wasm", import.meta.url)));
