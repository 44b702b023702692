// Effects the wasm asks of the JS runtime, performed here in one call each so that a request
// crosses the boundary twice (out and back) rather than once per header, signal and getter.
// Nothing here decides anything: what to send, and what an answer means, is the wasm's.

// The runtime's timers as they were at load: a request's time limit is real time, whatever
// timers a test (or an app) installs later.
const { setTimeout: startTimer, clearTimeout: stopTimer } = globalThis;

/** The largest body read (src/core/json.rs MAX_BYTES + 1): longer ones fail to parse there. */
const LIMIT = (1 << 20) + 1;

/**
 * One HTTP exchange: `fetch(url, init)` through `fetchFn`, given up after `timeoutMs` (body
 * included). Resolves `[status, body, traceId, retryAfter, setCookies]`; rejects with what
 * `fetch` threw (a `TimeoutError` when the time ran out) for the wasm to classify.
 */
export async function exchange(fetchFn, url, method, headers, body, credentials, timeoutMs) {
  const abort = new AbortController();
  // A plain timer and controller: AbortSignal.timeout costs more per call in Node.
  const timer = startTimer(
    () => abort.abort(new DOMException("The request timed out.", "TimeoutError")),
    timeoutMs,
  );
  try {
    const response = await fetchFn.call(globalThis, url, { method, headers, body, credentials, signal: abort.signal });
    const h = response?.headers;
    if (typeof response?.text !== "function" || typeof h?.get !== "function") {
      throw Object.assign(new TypeError("The fetch option did not resolve to a Response."), { name: "NotAResponse" });
    }
    let text = await response.text();
    if (text.length > LIMIT) text = text.slice(0, LIMIT);
    // Set-Cookie where the runtime shows it (Node, Deno, workerd); browsers never do. A
    // cross-origin page reads Retry-After only where the host exposes it (CORS).
    const cookies = typeof h.getSetCookie === "function" ? h.getSetCookie() : [h.get("set-cookie")].filter((c) => c !== null);
    return [response.status, text, h.get("frontegg-trace-id"), h.get("retry-after"), cookies];
  } finally {
    stopTimer(timer);
  }
}
