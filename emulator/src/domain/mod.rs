//! The rules of the sign-in factors, apart from HTTP.
//!
//! Each module here holds what a factor must satisfy (a TOTP step, a code's expiry and attempts,
//! a WebAuthn ceremony's checks) and the store calls that keep it, and fails with the one
//! [`ApiError`](crate::error::ApiError), since every broken rule is an API answer. Nothing here
//! reads a request or builds a response: the handlers in `routes/` extract, call these, answer.
//! The order of a sign-in (first factor, challenge, session) is `routes::signin`'s.

pub mod mfa;
pub mod phone;
pub mod webauthn;
