//! JSON text in and out. Writing is serde_json everywhere (its serialiser is smaller in the wasm
//! than serde-wasm-bindgen's). Reading is serde_json natively; in wasm the runtime's own
//! `JSON.parse` does the text work and serde-wasm-bindgen the typing, so no JSON parser ships in
//! the wasm (it was the largest single part of the binary).

use serde::Serialize;

/// Parses `text` into `T`; `None` for malformed text or a shape that doesn't fit.
#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

#[cfg(target_arch = "wasm32")]
pub use crate::wasm::codec::json_from_str as from_str;

/// Serialises `value` as JSON text. Only used for the SDK's own request bodies, which always
/// serialise; an empty object is the fallback so a request never carries garbage.
pub fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}
