//! Design (a): an async Rust driver over the shared rules, exported method by method through
//! wasm-bindgen + wasm-bindgen-futures (today's shape, minimal).
#[cfg(feature = "hand")]
extern crate rules_hand as rules;

pub mod client;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod js;
