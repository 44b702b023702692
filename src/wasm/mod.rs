//! The JavaScript face of the SDK: the only code that uses wasm-bindgen, js-sys and web-sys
//! (a check in `make test` holds every other file to that).

pub mod auth;
pub mod ceremony;
pub mod codec;
pub mod convert;
#[cfg(feature = "server")]
pub mod edge;
pub mod effects;
pub mod fetch;
pub mod storage;
pub mod tabs;
pub mod timer;
pub mod types;

/// The wasm's allocator: talc in place of the default dlmalloc, 1.5 KB gzip smaller with the same
/// per-call speed (docs/size.md). Single-threaded, as the SDK is.
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
