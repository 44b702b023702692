// (b) with wasm-bindgen and one export.
import init, { handle } from "../out/b-wb/proto_b.js";
import { makeAuth, FronteggError } from "./runtime.js";
export { FronteggError };

export async function createAuth(options, wasm) {
  await init({ module_or_path: wasm });
  return makeAuth(handle, options);
}
