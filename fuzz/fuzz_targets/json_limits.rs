//! The SDK's JSON reader (src/core/json.rs) takes exactly what serde_json takes within the size
//! and depth limits, reads it to the same value, and writes it back so that serde_json reads
//! the same value again; the limit scan that runs before serde's readers agrees with both.
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
    let ours = json::parse(text);
    assert_eq!(ours.is_some(), within && parsed.is_ok(), "{text:?}");
    if let (Some(ours), Ok(theirs)) = (ours, parsed) {
        let written = json::to_string(&ours);
        let again: Value = serde_json::from_str(&written).expect("we write valid JSON");
        assert_eq!(again, theirs, "{text:?} was written as {written:?}");
    }
});
