//! The sans-IO core: it turns calls into [`http::HttpRequest`]s and responses into results and
//! state, and never touches the network, a clock or a browser. [`AuthCore`] holds a client's
//! state; the modules hold the rules of each area.

pub mod account;
pub mod base64url;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod flows;
pub mod http;
pub mod input;
pub mod json;
pub mod mfa;
pub mod origin;
pub mod passwordless;
pub mod refresh;
pub mod secret;
pub mod self_service;
pub mod session;
mod state;
pub mod verify;
pub mod webauthn;

pub(crate) use state::parse;
pub use state::{AuthCore, LoginInput, LogoutInput};
