//! JSON text in and out. Natively this is serde_json; in wasm the runtime's own `JSON.parse` and
//! `JSON.stringify` do the text work and serde-wasm-bindgen does the typing, so no JSON parser
//! ships in the wasm (it was the largest single part of the binary).

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Parses `text` into `T`; `None` for malformed text or a shape that doesn't fit.
#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// Parses `text` into `T`; `None` for malformed text or a shape that doesn't fit.
#[cfg(target_arch = "wasm32")]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

/// Serialises `value` as JSON text. Only used for the SDK's own request bodies, which always
/// serialise; an empty object is the fallback so a request never carries garbage.
#[cfg(not(target_arch = "wasm32"))]
pub fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

/// Serialises `value` as JSON text (see the native version).
#[cfg(target_arch = "wasm32")]
pub fn to_string<T: Serialize>(value: &T) -> String {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "{}".into())
}
