// Effects the wasm asks of the JS runtime, performed here in one call each so that a request
// crosses the boundary twice (out and back) rather than once per header, signal and getter.
// What to do and when (what to send, when to wait, retry, store or steal a lock, what an answer
// means) is the wasm's; this file only performs it. One guarantee lives here, as a file system
// gives it: the store's writes land in the order they were asked for. Nothing here throws at
// its caller, except where src/wasm/effects.rs catches it.

import { FronteggError } from "./error.js";

// The runtime's timers as they were at load: a request's time limit is real time, whatever
// timers a test (or an app) installs later.
const { setTimeout: startTimer, clearTimeout: stopTimer } = globalThis;

/** The largest body read (src/core/json.rs MAX_BYTES + 1): longer ones fail to parse there. */
const LIMIT = (1 << 20) + 1;

/** What an injected `fetch` answered that is not a Response: the wasm reads the name. */
const notAResponse = () => Object.assign(new TypeError("The fetch option did not resolve to a Response."), { name: "NotAResponse" });

/**
 * One HTTP exchange: `fetch(url, init)` through `fetchFn`, given up after `timeoutMs` (body
 * included). Resolves `[status, body, traceId, retryAfter, setCookies]`; rejects with what
 * `fetch` threw (a `TimeoutError` when the time ran out) for the wasm to classify.
 */
export function exchange(fetchFn, url, method, headers, body, credentials, timeoutMs) {
  const abort = new AbortController();
  const init = { method, headers, body, credentials, signal: abort.signal };
  // The signal stops a fetch that honours it. One that doesn't (an injected or replaced
  // global fetch, a test's stub) is no longer waited for all the same.
  return within(answer(fetchFn, url, init), timeoutMs, abort);
}

/** The answer to one request, checked for the shape the wasm reads. */
async function answer(fetchFn, url, init) {
  const response = await fetchFn.call(globalThis, url, init);
  const h = response?.headers;
  if (typeof response?.text !== "function" || typeof h?.get !== "function" || typeof response.status !== "number") {
    throw notAResponse();
  }
  let text = await response.text();
  if (typeof text !== "string") throw notAResponse();
  if (text.length > LIMIT) text = text.slice(0, LIMIT);
  // Set-Cookie where the runtime shows it (Node, Deno, workerd); browsers never do. A
  // cross-origin page reads Retry-After only where the host exposes it (CORS).
  const cookies = typeof h.getSetCookie === "function" ? h.getSetCookie() : [h.get("set-cookie")];
  const orNull = (v) => (typeof v === "string" ? v : null);
  const strings = Array.isArray(cookies) ? cookies.filter((c) => typeof c === "string") : [];
  return [response.status, text, orNull(h.get("frontegg-trace-id")), orNull(h.get("retry-after")), strings];
}

/**
 * `promise`, or a `TimeoutError` once `ms` have passed; `abort` (if any) is aborted with it, so
 * a fetch that honours its signal stops too.
 */
export function within(promise, ms, abort) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = startTimer(() => {
      const e = new DOMException("The request timed out.", "TimeoutError");
      abort?.abort(e);
      reject(e);
    }, ms);
  });
  return Promise.race([promise, late]).finally(() => stopTimer(timer));
}

/** The `FronteggError` for a failure the wasm describes; details it doesn't have stay unset. */
export function fail(code, message, status, errorCode, traceId, retryAfterMs) {
  return new FronteggError(code, message, { status, errorCode, traceId, retryAfterMs });
}

/**
 * Calls an `onAuthStateChange` listener with the event and the session (JSON text). What it
 * throws must not break the SDK's own work: it is logged.
 */
export function hear(listener, event, session) {
  try {
    listener(event, JSON.parse(session));
  } catch (e) {
    console.error("frontegg-auth-wasm: an onAuthStateChange listener threw", e);
  }
}

// WebAuthn's binary members: base64url text in the wasm, bytes for the browser.
const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toText = (b) => {
  if (!(b instanceof ArrayBuffer || ArrayBuffer.isView(b))) return undefined;
  const bytes = new Uint8Array(b.buffer ?? b, b.byteOffset, b.byteLength);
  let binary = "";
  // In slices: a spread of a whole large buffer would pass more arguments than a call takes.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const text = (v) => (typeof v === "string" ? v : undefined);
/** `target[name]()`, or undefined where it is missing or throws (a polyfill's, say). */
const optional = (target, name) => {
  try {
    return target[name]?.();
  } catch {}
};

/**
 * One WebAuthn ceremony: `navigator.credentials.create()` (`create`) or `get()` with the
 * `publicKey` options the wasm checked (JSON text, binary members in base64url). Resolves the
 * credential as JSON text, its binary members in base64url (null if the browser gave none);
 * rejects with what the browser threw. What the credential lacks, the wasm refuses.
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
  if (!r) return null;
  const transports = optional(r, "getTransports");
  let extensions;
  try {
    // JSON drops what is not JSON (a PRF output buffer becomes {}), which is fine for results
    // the server only logs.
    extensions = JSON.parse(JSON.stringify(optional(c, "getClientExtensionResults") ?? null));
  } catch {}
  return JSON.stringify({
    rawId: toText(c.rawId),
    type: text(c.type),
    clientDataJSON: toText(r.clientDataJSON),
    attestationObject: toText(r.attestationObject),
    authenticatorData: toText(r.authenticatorData),
    signature: toText(r.signature),
    userHandle: toText(r.userHandle),
    authenticatorAttachment: text(c.authenticatorAttachment),
    transports: Array.isArray(transports) ? transports.filter((t) => typeof t === "string") : undefined,
    clientExtensionResults: extensions,
  });
}

/** `PublicKeyCredential[name]()`, a static answering a boolean; false where there is none. */
export async function ask(name) {
  try {
    return (await globalThis.PublicKeyCredential?.[name]?.()) === true;
  } catch {
    return false;
  }
}

/**
 * Waits `ms` on the runtime's timer as it is now (a test may drive it); unref'd where the
 * runtime can (Node), so a refresh timer never keeps a script from exiting.
 */
export function sleep(ms) {
  return new Promise((wake) => setTimeout(wake, ms)?.unref?.());
}

/**
 * Asks for the Web Lock `name`: only if it is free (`mode` "free"), waiting at most `mode` ms,
 * or taking it from its holder ("steal"). Resolves the function that releases it, null when it
 * was not granted, undefined where there are no Web Locks.
 */
export function lock(name, mode) {
  const locks = globalThis.navigator?.locks;
  if (typeof locks?.request !== "function") return Promise.resolve();
  return new Promise((granted) => {
    let options = { ifAvailable: mode === "free", steal: mode === "steal" };
    if (typeof mode === "number") {
      // Some browsers had Web Locks before AbortSignal.timeout.
      let signal = AbortSignal.timeout?.(mode);
      if (!signal) {
        const abort = new AbortController();
        startTimer(() => abort.abort(), mode);
        signal = abort.signal;
      }
      options = { signal };
    }
    locks
      .request(name, options, (held) => (held ? new Promise((release) => granted(release)) : granted(null)))
      .catch(() => granted(null));
  });
}

/** The `clientId` of the tab holding the Web Lock `name`, if the browser says. */
export async function holder(name) {
  try {
    return (await navigator.locks.query()).held.find((held) => held.name === name)?.clientId;
  } catch {
    return undefined;
  }
}

/**
 * Joins the BroadcastChannel `name`: `hear(type, snapshot)` for each message of another tab.
 * Returns `tell(type, snapshot)`, or undefined where there is no BroadcastChannel.
 */
export function channel(name, hear) {
  let c;
  try {
    c = new BroadcastChannel(name);
  } catch {
    return undefined; // none in this runtime, or refused (blocked storage, an opaque origin)
  }
  c.onmessage = ({ data }) => hear(data?.type, data?.snapshot);
  return (type, snapshot) => c.postMessage({ type, snapshot });
}

/**
 * The session's store: `localStorage` or `sessionStorage` (`kind`), or the caller's `adapter`
 * (`{ get, set, remove, compareAndSet? }`, each sync or async); undefined where there is no
 * such storage. A write to an adapter starts at once when none is in flight, else after it
 * settles, so an async store (KV) ends up holding the last snapshot; a failed write only costs
 * the restore later, and its rejection is handled (an unhandled one would end a Node process).
 */
export function store(kind, adapter) {
  if (kind !== "adapter") {
    let web;
    try {
      web = globalThis[kind];
    } catch {} // an opaque origin's localStorage throws
    if (typeof Storage !== "function" || !(web instanceof Storage)) return undefined;
    const quietly = (method) => (...args) => {
      try {
        return web[method](...args);
      } catch {} // full, or disabled
    };
    return { get: async (key) => quietly("getItem")(key), set: quietly("setItem"), remove: quietly("removeItem"), cas: async () => undefined };
  }
  let last;
  const write = (method) => (...args) => {
    const run = () => adapter[method](...args);
    let started;
    try {
      started = last ? last.then(run) : run();
    } catch {}
    if (!(started instanceof Promise)) return;
    const settled = started.then(
      () => {},
      () => {},
    );
    last = settled;
    settled.then(() => last === settled && (last = undefined));
  };
  return {
    async get(key) {
      try {
        return await adapter.get(key);
      } catch {}
    },
    set: write("set"),
    remove: write("remove"),
    async cas(key, expected, value) {
      if (typeof adapter.compareAndSet !== "function") return undefined;
      await last;
      try {
        return !!(await adapter.compareAndSet(key, expected, value));
      } catch {}
    },
  };
}

/**
 * `auth.fetch`'s request: `new Request(input, init)` as `fetch` would make it, its clone for a
 * retry (null if its body was already used) and its URL. Throws what the constructor threw.
 */
export function request(input, init) {
  const first = new Request(input, init ?? undefined);
  let retry = null;
  try {
    retry = first.clone();
  } catch {}
  return [first, retry, first.url];
}

/** Sends `request` through `fetchFn`, with the bearer `token` (which the wasm checked) if any. */
export async function send(fetchFn, request, token) {
  if (token) request.headers.set("authorization", `Bearer ${token}`);
  const response = await fetchFn.call(globalThis, request);
  if (!(response instanceof Response)) throw notAResponse();
  return response;
}

/**
 * Calls `back(visible)` whenever the page's visibility changes, it gains focus or comes online
 * (background tabs throttle timers, and a laptop may have slept or been offline). False where
 * there is no page to listen to.
 */
export function whenBack(back) {
  const w = globalThis.window;
  const d = w?.document;
  if (typeof w?.addEventListener !== "function" || typeof d?.addEventListener !== "function") return false;
  const check = () => back(d.visibilityState === "visible");
  d.addEventListener("visibilitychange", check);
  w.addEventListener("focus", check);
  w.addEventListener("online", check);
  return true;
}
