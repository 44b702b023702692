//! Sign people in against the Frontegg identity API from browsers, Node, Deno and edge
//! workers.
//!
//! Three layers, one folder each, each using only the ones below it:
//! - [`core`]: the sans-IO rules (options, endpoint types, the login state machine, token and
//!   refresh rules, WebAuthn encoding). No async, no clock, no JS types.
//! - [`client`]: the async driver ([`client::Client`]) that runs the core over a
//!   [`client::runtime::Runtime`]: single flight, the 401 retry, the session generation.
//! - `wasm` (wasm builds only): the one place that uses wasm-bindgen, js-sys and web-sys: the
//!   exported class, the JS runtime, WebAuthn ceremonies, tabs, storage and token verification.
//!
//! Native builds have [`native`], a runtime over reqwest for tests against the emulator.
//! `docs/architecture.md` shows the path of a login and a refresh through them.

pub mod client;
pub mod core;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use crate::client::Client;
pub use crate::core::config::{Mode, Options};
pub use crate::core::error::{Error, ErrorCode, Result};
pub use crate::core::flows::LoginResult;
pub use crate::core::session::Session;
