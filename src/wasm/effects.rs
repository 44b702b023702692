//! `pkg/runtime.js`, as the wasm calls it: the loader hands over its exports once (`__init`),
//! and each effect the wasm asks of JS is one call of one of them. What to ask, and what the
//! answer means, is decided on this side.

use std::cell::RefCell;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The exports of `pkg/runtime.js`.
    #[derive(Clone)]
    pub type Effects;

    /// `exchange(fetch, url, method, headers, body, credentials, timeoutMs)`: one request.
    #[wasm_bindgen(method, getter)]
    pub fn exchange(this: &Effects) -> Function;

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
}

thread_local! {
    static EFFECTS: RefCell<Option<Effects>> = const { RefCell::new(None) };
}

/// Keeps `pkg/runtime.js`'s exports for [`effects`].
pub(crate) fn set_effects(effects: Effects) {
    EFFECTS.with(|e| *e.borrow_mut() = Some(effects));
}

/// `pkg/runtime.js`'s exports; an error that says so if the loader was bypassed.
pub(crate) fn effects() -> Result<Effects, JsValue> {
    EFFECTS.with(|e| e.borrow().clone()).ok_or_else(|| {
        js_sys::Error::new("The SDK was loaded without its runtime (pkg/runtime.js).").into()
    })
}
