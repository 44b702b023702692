//! JSON text in and out. Writing is serde_json everywhere (its serialiser is smaller in the wasm
//! than serde-wasm-bindgen's). Reading is serde_json natively; in wasm the runtime's own
//! `JSON.parse` does the text work and serde-wasm-bindgen the typing, so no JSON parser ships in
//! the wasm (it was the largest single part of the binary).

use serde::Serialize;

/// The largest JSON text the SDK reads: an answer, a token's parts, a stored snapshot, a
/// caller's argument. The largest real answer (a user's sessions or tenants) is a few KB.
pub const MAX_BYTES: usize = 1 << 20;

/// The deepest nesting of arrays and objects the SDK reads; real answers nest about five deep.
pub const MAX_DEPTH: usize = 64;

/// Whether `text` is at most [`MAX_BYTES`] long and nests arrays and objects at most
/// [`MAX_DEPTH`] deep. Checked before any parser sees the text: parsers, and serde's typed
/// readers after them, recurse once per level, and a text nested deeply enough overflows the
/// wasm stack, which kills the module and every client in it. One pass, no allocation.
pub fn within_limits(text: &str) -> bool {
    if text.len() > MAX_BYTES {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// Parses `text` into `T`; `None` for malformed text, a shape that doesn't fit, or a text
/// beyond [`within_limits`].
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    if !within_limits(text) {
        return None;
    }
    parse(text)
}

#[cfg(not(target_arch = "wasm32"))]
fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

#[cfg(target_arch = "wasm32")]
use crate::wasm::codec::json_from_str as parse;

/// Serialises `value` as JSON text. Only used for the SDK's own request bodies, which always
/// serialise; an empty object is the fallback so a request never carries garbage.
pub fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn texts_nested_deeper_than_the_limit_are_refused_before_parsing() {
        assert!(within_limits(&nested(MAX_DEPTH)));
        assert!(!within_limits(&nested(MAX_DEPTH + 1)));
        assert!(from_str::<serde_json::Value>(&nested(5_000)).is_none());
        // Brackets inside strings, escaped quotes included, are not nesting.
        let text = format!(r#"{{"a":"{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(within_limits(&text));
        assert!(from_str::<serde_json::Value>(&text).is_some());
        // Unbalanced closers don't underflow.
        assert!(within_limits("]]]]{}"));
    }

    #[test]
    fn texts_longer_than_the_limit_are_refused() {
        let long = format!("\"{}\"", "a".repeat(MAX_BYTES));
        assert!(!within_limits(&long));
        assert!(from_str::<String>(&long).is_none());
    }

    proptest::proptest! {
        #[test]
        fn the_limit_agrees_with_a_parser_that_counts(text in "[\\[\\]{}\"\\\\a:,]{0,200}") {
            // Whenever serde_json reads a text, its nesting is what the scan measured.
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                fn depth(v: &serde_json::Value) -> usize {
                    match v {
                        serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
                        serde_json::Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
                        _ => 0,
                    }
                }
                proptest::prop_assert_eq!(within_limits(&text), depth(&value) <= MAX_DEPTH);
            }
        }
    }
}
