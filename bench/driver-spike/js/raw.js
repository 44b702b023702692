// (b) without wasm-bindgen: alloc / handle / out_ptr over linear memory.
import { makeAuth, FronteggError } from "./runtime.js";
export { FronteggError };

export async function createAuth(options, wasm) {
  const r = await WebAssembly.instantiate(wasm, {});
  const x = (r.instance || r).exports;
  const enc = new TextEncoder(), dec = new TextDecoder();
  const invoke = (slot, op, a, b, s, now) => {
    const bytes = enc.encode(s), n = bytes.length, p = n && x.alloc(n);
    if (n) new Uint8Array(x.memory.buffer, p, n).set(bytes);
    const len = x.handle(slot, op, a, b, p, n, now);
    return dec.decode(new Uint8Array(x.memory.buffer, x.out_ptr(), len));
  };
  return makeAuth(invoke, options);
}
