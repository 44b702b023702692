// What a wasm in the loop must cost per call, at least (docs/per-call.md): GET users/v2/me on
// loopback against the release emulator in Node, four ways interleaved call by call, 3,000
// timed calls each after 300 warm-up, medians and means over the bare fetch:
//   - bare fetch:  fetch with the bearer token, then json();
//   - timed:       the same with what the SDK's runtime adds around it (an AbortController and
//                  a timer for the timeout, text() then JSON.parse);
//   - wasm scan:   timed, with the body also copied into a wasm module's memory and every byte
//                  read there (a module of 103 bytes: the least a check in wasm can do);
//   - the SDK:     getProfile.
// The gap between "wasm scan" and the SDK is the SDK's own work, not the boundary's.
//
//   node bench/call-floor.mjs
import { demo, measure, over, startEmulator, stats, table, us } from "./lib.mjs";

const { createAuth } = await import("../pkg/node.js");
const WARMUP = 300;
const CALLS = 3000;

// (module (memory (export "memory") 2)
//   (func (export "scan") (param $p i32) (param $n i32) (result i32)  ;; counts the '"' bytes
//     ...a loop over [p, p + n)...))
const SCAN = Buffer.from(
  "AGFzbQEAAAABBwFgAn9/AX8DAgEABQMBAAIHEQIGbWVtb3J5AgAEc2NhbgAACjgBNgECfyAAIAFqIQICQANAIAAgAk8NASAALQAAQSJGBEAgA0EBaiEDCyAAQQFqIQAMAAsACyADCw==",
  "base64",
);
const { instance } = await WebAssembly.instantiate(SCAN);
const { memory, scan } = instance.exports;
const encoder = new TextEncoder();

const emu = await startEmulator([]);
try {
  const auth = await createAuth({ baseUrl: emu.url, mode: "server", autoRefresh: false });
  const { session } = await auth.login(demo);
  const me = `${emu.url}/identity/resources/users/v2/me`;
  const headers = { authorization: `Bearer ${session.accessToken}` };
  const timed = async (check) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10_000);
    try {
      const response = await fetch(me, { headers, signal: abort.signal });
      const text = await response.text();
      check?.(text);
      return JSON.parse(text);
    } finally {
      clearTimeout(timer);
    }
  };
  const inWasm = (text) => {
    const { written } = encoder.encodeInto(text, new Uint8Array(memory.buffer, 1024));
    if (scan(1024, written) < 0) throw new Error("unreachable");
  };
  const calls = [
    ["bare fetch", async () => (await fetch(me, { headers })).json()],
    ["timed", () => timed()],
    ["wasm scan", () => timed(inWasm)],
    ["frontegg-auth-wasm getProfile", () => auth.getProfile()],
  ];
  const samples = await measure(calls.map(([, call]) => call), WARMUP, CALLS);
  const base = stats(samples[0]);
  table(
    `GET users/v2/me on loopback in Node ${process.version}, µs per call over ${CALLS} interleaved calls`,
    ["call", "median", "mean", "median vs fetch", "mean vs fetch"],
    calls.map(([name], j) => {
      const s = stats(samples[j]);
      return [name, us(s.median), us(s.mean), j ? over(s.median, base.median) : "", j ? over(s.mean, base.mean) : ""];
    }),
  );
  await auth.logout();
} finally {
  await emu.stop();
}
