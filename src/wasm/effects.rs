//! `js/runtime.js`, as the wasm calls it: the loader hands over its exports once (`__init`),
//! and each effect the wasm asks of JS is one call of one of them. What to ask, and what the
//! answer means, is decided on this side.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The exports of `js/runtime.js`.
    #[derive(Clone)]
    pub type Effects;

    /// `exchange(fetch, url, method, headers, body, credentials, timeoutMs)`: one request,
    /// resolving `[status, body, traceId, retryAfter, setCookies]`.
    #[wasm_bindgen(method, catch)]
    #[allow(clippy::too_many_arguments)]
    pub fn exchange(
        this: &Effects,
        fetch: &Function,
        url: &str,
        method: &str,
        headers: &js_sys::Object,
        body: &JsValue,
        credentials: &str,
        timeout_ms: u32,
    ) -> Result<Promise, JsValue>;

    /// `ceremony(create, publicKey, signal, conditional)`: one WebAuthn ceremony.
    #[wasm_bindgen(method, catch)]
    pub fn ceremony(
        this: &Effects,
        create: bool,
        public_key: &str,
        signal: &JsValue,
        conditional: bool,
    ) -> Result<Promise, JsValue>;

    /// `ask(name)`: `PublicKeyCredential[name]()`, false where there is none.
    #[wasm_bindgen(method)]
    pub fn ask(this: &Effects, name: &str) -> Promise;

    /// `fail(code, message, status, errorCode, traceId, retryAfterMs)`: a `FronteggError`.
    #[wasm_bindgen(method)]
    pub fn fail(
        this: &Effects,
        code: &str,
        message: &str,
        status: Option<u16>,
        error_code: Option<String>,
        trace_id: Option<String>,
        retry_after_ms: Option<u32>,
    ) -> JsValue;

    /// `hear(listener, event, session)`: an `onAuthStateChange` listener called with the event
    /// and the session (JSON text); what it throws is logged, not thrown back.
    #[wasm_bindgen(method)]
    pub fn hear(this: &Effects, listener: &JsValue, event: &str, session: &str);

    /// `within(promise, ms)`: `promise`, or a `TimeoutError` once `ms` have passed (for a
    /// `fetch` that may ignore its signal).
    #[cfg(feature = "server")]
    #[wasm_bindgen(method)]
    pub fn within(this: &Effects, promise: &Promise, ms: u32) -> Promise;

    /// `sleep(ms)`: the runtime's timer.
    #[wasm_bindgen(method)]
    pub fn sleep(this: &Effects, ms: u32) -> Promise;

    /// `lock(name, mode)`: a Web Lock's release function, null (not granted) or undefined (no
    /// Web Locks).
    #[wasm_bindgen(method)]
    pub fn lock(this: &Effects, name: &str, mode: &JsValue) -> Promise;

    /// `holder(name)`: the `clientId` of the tab holding the Web Lock `name`, if known.
    #[wasm_bindgen(method)]
    pub fn holder(this: &Effects, name: &str) -> Promise;

    /// `request(input, init)`: `auth.fetch`'s `[request, retry, url]`.
    #[wasm_bindgen(method, catch)]
    pub fn request(
        this: &Effects,
        input: &JsValue,
        init: &JsValue,
    ) -> Result<js_sys::Array, JsValue>;

    /// `send(fetch, request, token)`: `auth.fetch`'s request sent, with the token if any.
    #[wasm_bindgen(method)]
    pub fn send(
        this: &Effects,
        fetch: &Function,
        request: &JsValue,
        token: Option<String>,
    ) -> Promise;

    /// `whenBack(back)`: `back(visible)` whenever the page's visibility changes, it gains focus
    /// or comes online; false where there is no page to listen to.
    #[wasm_bindgen(method, js_name = whenBack)]
    pub fn when_back(this: &Effects, back: &JsValue) -> bool;

    /// `store(kind, adapter)`: `localStorage` or `sessionStorage` (`kind`), or the caller's
    /// adapter, behind one interface; undefined where this runtime has no such storage.
    #[wasm_bindgen(method)]
    pub fn store(this: &Effects, kind: &str, adapter: &JsValue) -> JsValue;

    /// `channel(name, hear)`: the function that tells the other tabs, where there is a
    /// BroadcastChannel.
    #[wasm_bindgen(method)]
    pub fn channel(this: &Effects, name: &str, hear: &JsValue) -> Option<Function>;
}

thread_local! {
    static EFFECTS: RefCell<Option<Effects>> = const { RefCell::new(None) };
}

/// Keeps `js/runtime.js`'s exports for [`effects`].
pub(crate) fn set_effects(effects: Effects) {
    EFFECTS.with(|e| *e.borrow_mut() = Some(effects));
}

/// `js/runtime.js`'s exports; an error that says so if the loader was bypassed.
pub(crate) fn effects() -> Result<Effects, JsValue> {
    EFFECTS.with(|e| e.borrow().clone()).ok_or_else(|| {
        js_sys::Error::new("The SDK was loaded without its runtime (js/runtime.js).").into()
    })
}
