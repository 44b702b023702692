//! What the SDK's native tests share: the workspace harness (`frontegg-test-support`: the
//! emulator process and its developer endpoints, shared with the emulator's own tests) and the
//! SDK's native client.

// Each test binary compiles this module; not every one of them uses all of it.
#![allow(dead_code)]

use frontegg_auth_wasm::core::json::Value;
use frontegg_auth_wasm::native::NativeRuntime;
use frontegg_auth_wasm::{Client, Mode, Options};

pub use frontegg_test_support::*;

/// serde_json's `json!`, as the SDK's own JSON value (what its calls take).
macro_rules! json {
    ($($t:tt)+) => {
        $crate::common::ours(&serde_json::json!($($t)+))
    };
}
pub(crate) use json;

/// A serde_json value as the SDK's own.
pub fn ours(value: &serde_json::Value) -> Value {
    frontegg_auth_wasm::core::json::parse(&value.to_string()).expect("serde_json writes valid JSON")
}

/// `frontegg-emulator --port 0 --memory --seed demo`, the workspace's debug build
/// (`cargo build -p frontegg-emulator`; `FRONTEGG_EMULATOR_BIN` overrides).
pub async fn demo() -> Emulator {
    Emulator::start(DEMO_ARGS).await
}

pub fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

/// A server-mode client with these options.
pub fn client_with(options: Value) -> Client<NativeRuntime> {
    let options = Options::from_json(&options).expect("valid options");
    Client::new(options, Mode::Server, NativeRuntime::default(), now_ms)
}

/// A server-mode client of the emulator at `url`.
pub fn client(url: &str) -> Client<NativeRuntime> {
    client_with(json!({ "baseUrl": url }))
}
