// (a): the wasm-bindgen glue plus the error class.
import init, { createAuth as create, __setErrorClass } from "../out/a-hand/proto_a.js";

export class FronteggError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = "FronteggError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

export async function createAuth(options, wasm) {
  await init({ module_or_path: wasm });
  __setErrorClass(FronteggError);
  return create(options);
}
