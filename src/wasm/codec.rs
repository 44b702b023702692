//! What the core's text codecs borrow from the JS runtime in wasm builds, so that no JSON parser
//! and no base64 encoder ship in the wasm: `JSON.parse` (typed by serde-wasm-bindgen) for
//! [`crate::core::json`], and `btoa` for [`crate::core::base64url`].

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = btoa)]
    fn js_btoa(binary: &str) -> Result<String, JsValue>;
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
