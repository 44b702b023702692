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

// WebAuthn's binary members: base64url text in the wasm, bytes for the browser.
const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toText = (b) =>
  b instanceof ArrayBuffer || ArrayBuffer.isView(b)
    ? btoa(String.fromCharCode(...new Uint8Array(b.buffer ?? b, b.byteOffset, b.byteLength)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "")
    : undefined;

/**
 * One WebAuthn ceremony: `navigator.credentials.create()` (`create`) or `get()` with the
 * `publicKey` options the wasm checked (JSON text, binary members in base64url). Resolves the
 * credential as JSON text, its binary members in base64url (null if the browser gave none);
 * rejects with what the browser threw.
 */
export async function ceremony(create, publicKey, signal, conditional) {
  const key = JSON.parse(publicKey);
  key.challenge = toBytes(key.challenge);
  for (const d of key[create ? "excludeCredentials" : "allowCredentials"] ?? []) d.id = toBytes(d.id);
  if (create) key.user.id = toBytes(key.user.id);
  const options = { publicKey: key, signal };
  if (conditional) options.mediation = "conditional";
  const c = await navigator.credentials[create ? "create" : "get"](options);
  const r = c?.response;
  return (
    r &&
    JSON.stringify({
      rawId: toText(c.rawId),
      type: c.type,
      clientDataJSON: toText(r.clientDataJSON),
      attestationObject: toText(r.attestationObject),
      authenticatorData: toText(r.authenticatorData),
      signature: toText(r.signature),
      userHandle: toText(r.userHandle),
      authenticatorAttachment: c.authenticatorAttachment ?? undefined,
      transports: r.getTransports?.().filter((t) => typeof t === "string"),
      // JSON drops what is not JSON (a PRF output buffer becomes {}), which is fine for
      // results the server only logs.
      clientExtensionResults: c.getClientExtensionResults?.(),
    })
  );
}

/** `PublicKeyCredential[name]()`, a static answering a boolean; false where there is none. */
export async function ask(name) {
  try {
    return (await globalThis.PublicKeyCredential?.[name]?.()) === true;
  } catch {
    return false;
  }
}
