//! What the core's text codecs borrow from the JS runtime in wasm builds, so that no float
//! parser or printer and no base64 encoder ship in the wasm: `Number()` and `String()` for the
//! numbers [`crate::core::json`] can't read or write exactly itself, `JSON.parse` (typed by
//! serde-wasm-bindgen) for the token checks of server builds, and `btoa` for
//! [`crate::core::base64url`].

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = btoa)]
    fn js_btoa(binary: &str) -> Result<String, JsValue>;

    /// `Number(text)`: JSON's number grammar is a subset of what it reads, and it rounds
    /// correctly.
    #[wasm_bindgen(js_name = Number)]
    fn js_number(text: &str) -> f64;

    /// `String(n)`: the shortest decimal that reads back as `n`.
    #[wasm_bindgen(js_name = String)]
    fn js_string(n: f64) -> String;
}

/// A JSON number that is not a short whole one ([`crate::core::json`] checked its grammar).
pub fn float_from_str(text: &str) -> Option<f64> {
    Some(js_number(text))
}

/// Appends the shortest text for the finite number `n`; `String(1e21)` is `1e+21`, valid JSON.
pub fn float_to_str(n: f64, out: &mut String) {
    out.push_str(&js_string(n));
}

/// Parses JSON `text` into `T` with the runtime's `JSON.parse`; `None` for malformed text or a
/// shape that doesn't fit.
pub fn json_from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// The runtime's `btoa` of a "binary string" (every char below 256).
pub fn btoa(binary: &str) -> Option<String> {
    js_btoa(binary).ok()
}
