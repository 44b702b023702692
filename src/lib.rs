//! Sign people in against the Frontegg identity API from browsers, Node, Deno and edge
//! workers.
//!
//! The crate is a sans-IO core ([`core::AuthCore`]: options, endpoint types, the login state
//! machine, token rules) driven by a thin async [`client::Client`] over a [`transport::Transport`].
//! In wasm builds, [`js`] exports it to JavaScript with wasm-bindgen.

pub mod account;
pub mod base64url;
#[cfg(target_arch = "wasm32")]
pub mod ceremony;
pub mod client;
pub mod config;
pub mod core;
#[cfg(all(target_arch = "wasm32", feature = "server"))]
pub mod edge;
pub mod endpoints;
pub mod error;
pub mod flows;
pub mod http;
pub mod input;
#[cfg(target_arch = "wasm32")]
pub mod js;
pub mod json;
pub mod mfa;
pub mod origin;
pub mod passwordless;
pub mod refresh;
pub mod secret;
pub mod self_service;
pub mod session;
#[cfg(target_arch = "wasm32")]
pub mod storage;
#[cfg(target_arch = "wasm32")]
pub mod tabs;
pub mod transport;
pub mod verify;
pub mod webauthn;

pub use crate::client::Client;
pub use crate::config::{Mode, Options};
pub use crate::error::{Error, ErrorCode, Result};
pub use crate::flows::LoginResult;
pub use crate::session::Session;
