//! The JavaScript face of the SDK: the only code that uses wasm-bindgen, js-sys and web-sys
//! (a check in `make test` holds every other file to that).

pub mod auth;
pub mod ceremony;
pub mod codec;
pub mod convert;
#[cfg(feature = "server")]
pub mod edge;
pub mod fetch;
pub mod storage;
pub mod tabs;
pub mod timer;
pub mod types;
