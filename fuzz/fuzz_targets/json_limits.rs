//! The size and depth scan that runs before every JSON parse agrees with a real parser.
#![no_main]

use frontegg_auth_wasm::core::json::{self, within_limits, MAX_BYTES, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let within = within_limits(text);
    let parsed = serde_json::from_str::<Value>(text);
    if let Ok(value) = &parsed {
        assert_eq!(
            within,
            text.len() <= MAX_BYTES && depth(value) <= MAX_DEPTH,
            "{text:?}"
        );
    }
    // The SDK's reader takes exactly what is within limits and parses.
    assert_eq!(
        json::from_str::<Value>(text).is_some(),
        within && parsed.is_ok()
    );
});
