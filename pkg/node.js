// Node and Deno: the server build, read from disk (Node's fetch cannot load file: URLs).
import { readFile } from "node:fs/promises";
import * as glue from "./frontegg_auth_wasm_server.js";
import { bind } from "./loader.js";

export { FronteggError } from "./error.js";
export { FronteggAuth } from "./client.js";
export const { createAuth, supportsPasskeys, verifyAccessToken } = bind(glue, () =>
  readFile(new URL("./frontegg_auth_wasm_server_bg.wasm", import.meta.url)),
);
