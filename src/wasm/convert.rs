//! Values across the boundary: the caller's arguments in, results out, and every failure as the
//! loader's `FronteggError`. Each exported function and method goes through here.

use std::pin::Pin;

use crate::core::json::{ToJson, Value};
use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::core::error::{Error, ErrorCode};
use crate::core::json;

#[cfg(feature = "server")]
#[wasm_bindgen]
extern "C" {
    /// The runtime's `TextEncoder`, for [`ascii_string`].
    type TextEncoder;

    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;

    /// `encodeInto(source, destination)`, straight into the wasm memory `destination` is.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(
        this: &TextEncoder,
        source: &js_sys::JsString,
        destination: &mut [u8],
    ) -> Encoded;

    /// What `encodeInto` did.
    type Encoded;

    /// UTF-16 code units read.
    #[wasm_bindgen(method, getter)]
    fn read(this: &Encoded) -> u32;

    /// Bytes written.
    #[wasm_bindgen(method, getter)]
    fn written(this: &Encoded) -> u32;
}

#[cfg(feature = "server")]
thread_local! {
    static ENCODER: TextEncoder = TextEncoder::new();
}

/// `text` in Rust. An ASCII text (a token always is) is copied by the runtime's
/// `TextEncoder.encodeInto`, a block copy, where wasm-bindgen's own copy walks it a character
/// at a time in JS: for a token, the largest single cost of taking it in. Any other text is
/// copied the usual way.
#[cfg(feature = "server")]
pub(crate) fn ascii_string(text: &js_sys::JsString) -> String {
    let length = text.length();
    let mut bytes = vec![0; length as usize];
    let encoded = ENCODER.with(|encoder| encoder.encode_into(text, &mut bytes));
    if encoded.read() == length && encoded.written() == length {
        if let Ok(ascii) = String::from_utf8(bytes) {
            return ascii;
        }
    }
    String::from(text)
}

/// Called once by the package loader with the exports of `js/runtime.js`.
#[wasm_bindgen(js_name = "__init", skip_typescript)]
pub fn init(effects: crate::wasm::effects::Effects) {
    crate::wasm::effects::set_effects(effects);
}

/// `new FronteggError(code, message, { status, errorCode, traceId, retryAfterMs })`, made by
/// `js/runtime.js`; a plain `Error` named alike if the loader was bypassed.
pub(crate) fn to_js_error(e: &Error) -> JsValue {
    let code = e.code.as_str();
    match crate::wasm::effects::effects() {
        Ok(effects) => effects.fail(
            code,
            &e.message,
            e.status,
            e.error_code.clone(),
            e.trace_id.clone(),
            e.retry_after_ms,
        ),
        Err(_) => {
            let err = js_sys::Error::new(&e.message);
            err.set_name("FronteggError");
            let _ = Reflect::set(&err, &"code".into(), &code.into());
            err.into()
        }
    }
}

/// A result as a plain JS value, or the `FronteggError` saying why it could not be one.
pub(crate) fn to_js<T: ToJson + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    to_value(value).map_err(|e| to_js_error(&e))
}

#[wasm_bindgen]
extern "C" {
    /// `Object.assign(target, source)`, with what a getter or a Proxy trap throws caught: an
    /// exception must not unwind through the wasm's frames.
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    fn assign(target: &js_sys::Object, source: &JsValue) -> Result<js_sys::Object, JsValue>;
}

fn not_plain(what: &str) -> Error {
    Error::invalid_input(format!(
        "{what}: the argument must be plain data (strings, numbers, booleans, objects)."
    ))
}

/// A shallow copy of the caller's object `value`, so JS-only members (`fetch`, `signal`,
/// `storage`) can be taken out without touching theirs. A getter or a Proxy that throws makes
/// it not plain data.
pub(crate) fn copy_of(what: &str, value: &JsValue) -> Result<js_sys::Object, Error> {
    assign(&js_sys::Object::new(), value).map_err(|_| not_plain(what))
}

/// `text` copied into the wasm if it is at most [`json::MAX_BYTES`] long: its UTF-16 length is
/// at most its UTF-8 length, so what is longer is refused before it is copied.
pub(crate) fn bounded_string(text: &JsValue) -> Option<String> {
    let text = text.dyn_ref::<js_sys::JsString>()?;
    (text.length() as usize <= json::MAX_BYTES).then(|| String::from(text))
}

/// A JS argument as JSON; `undefined` becomes `null` so "missing" reads the same everywhere.
///
/// The argument goes through `JSON.stringify` first, so what is read is bounded before any
/// conversion: a cycle, a `BigInt` or a function is refused, and so is a text beyond
/// [`json::within_limits`] (a server handing `req.body` on must not be able to overflow the
/// wasm stack with an argument nested thousands deep).
pub(crate) fn from_js(what: &str, value: JsValue) -> Result<Value, Error> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    let plain = || not_plain(what);
    let text = js_sys::JSON::stringify(&value).map_err(|_| plain())?;
    if !text.is_string() {
        return Err(plain());
    }
    let text = bounded_string(&text).filter(|t| json::within_limits(t));
    let Some(text) = text else {
        return Err(Error::invalid_input(format!(
            "{what}: the argument is too large or nested too deep (at most {} KB and {} levels).",
            json::MAX_BYTES / 1024,
            json::MAX_DEPTH
        )));
    };
    json::parse(&text).ok_or_else(plain)
}

/// Runs an async method body as a Promise that rejects with a `FronteggError`.
pub(crate) fn promise<T: ToJson + 'static>(
    fut: impl std::future::Future<Output = Result<T, Error>> + 'static,
) -> Promise {
    run(Box::pin(async move { to_value(&fut.await?) }))
}

/// The one place futures become Promises. Every method's future is boxed on its way here, so
/// the wasm carries one instance of the Promise machinery instead of one per method.
pub(crate) fn run(
    fut: Pin<Box<dyn std::future::Future<Output = Result<JsValue, Error>>>>,
) -> Promise {
    future_to_promise(async move { fut.await.map_err(|e| to_js_error(&e)) })
}

/// A result as a plain JS value (objects, arrays, strings, numbers; never `Map` or BigInt): JSON
/// text parsed by the runtime, which is smaller in the wasm and faster than building the value
/// property by property across the boundary.
pub(crate) fn to_value<T: ToJson + ?Sized>(value: &T) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&json::to_string(value))
        .map_err(|_| Error::new(ErrorCode::Server, "Could not convert a result for JS."))
}
