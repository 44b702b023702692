//! The one error type of the SDK. The JS shell maps it to `FronteggError` field for field.

use std::fmt;

use crate::core::json::FromJson;

/// Stable machine codes, as listed in the JS API contract. They never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidInput,
    Network,
    Timeout,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    LockedOut,
    InvalidCredentials,
    InvalidCode,
    MfaTokenExpired,
    SessionExpired,
    WebauthnCancelled,
    WebauthnUnsupported,
    WebauthnAlreadyRegistered,
    Server,
}

impl ErrorCode {
    /// The code as JS callers see it, e.g. `"invalid_credentials"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::LockedOut => "locked_out",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidCode => "invalid_code",
            Self::MfaTokenExpired => "mfa_token_expired",
            Self::SessionExpired => "session_expired",
            Self::WebauthnCancelled => "webauthn_cancelled",
            Self::WebauthnUnsupported => "webauthn_unsupported",
            Self::WebauthnAlreadyRegistered => "webauthn_already_registered",
            Self::Server => "server",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every failure of the SDK: a stable code, a sentence for people, and what the server said
/// ([`ErrorDetails`], read through `Deref`). One pointer wide: every `Result` in every flow
/// carries it, and a small error keeps their moves and drops small in the wasm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<ErrorDetails>);

impl std::ops::Deref for Error {
    type Target = ErrorDetails;
    fn deref(&self) -> &ErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Error {
    fn deref_mut(&mut self) -> &mut ErrorDetails {
        &mut self.0
    }
}

impl From<ErrorDetails> for Error {
    fn from(details: ErrorDetails) -> Self {
        Self(Box::new(details))
    }
}

/// What an [`Error`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDetails {
    /// Stable machine code.
    pub code: ErrorCode,
    /// Human sentence; the server's own `errors[]` where it gave one.
    pub message: String,
    /// HTTP status, where there was a response.
    pub status: Option<u16>,
    /// The server's own `errorCode`, where given.
    pub error_code: Option<String>,
    /// The server's `frontegg-trace-id` header, where given.
    pub trace_id: Option<String>,
    /// How long the server asked to be left alone (`Retry-After` on a 429), in ms, where it said.
    pub retry_after_ms: Option<u32>,
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error that did not come from a server response.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorDetails {
            code,
            message: message.into(),
            status: None,
            error_code: None,
            trace_id: None,
            retry_after_ms: None,
        }
        .into()
    }

    /// Bad arguments or options from the caller, detected before any request.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// The server answered with a body we could not make sense of.
    pub fn bad_response(status: u16, trace_id: Option<String>, what: &str) -> Self {
        ErrorDetails {
            code: ErrorCode::Server,
            message: format!("The identity server sent an unexpected response ({what})."),
            status: Some(status),
            error_code: None,
            trace_id,
            retry_after_ms: None,
        }
        .into()
    }

    /// Builds the error for a non-2xx response; `meaning` says what 400, 401 and 403 mean for
    /// the endpoint that answered.
    pub fn from_status(
        status: u16,
        body: &str,
        trace_id: Option<String>,
        meaning: StatusMeaning,
    ) -> Self {
        let server: ServerError = crate::core::json::from_str(body).unwrap_or_default();
        let code = match status {
            400 | 422 => meaning.bad_request,
            401 => meaning.unauthorized,
            403 => meaning.forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            423 => ErrorCode::LockedOut,
            429 => ErrorCode::RateLimited,
            _ => ErrorCode::Server,
        };
        let message = server
            .errors
            .into_iter()
            .find(|m| !m.trim().is_empty())
            .unwrap_or_else(|| default_message(code, status));
        ErrorDetails {
            code,
            message,
            status: Some(status),
            error_code: server.error_code,
            trace_id,
            retry_after_ms: None,
        }
        .into()
    }
}

/// What an endpoint's 400, 401 and 403 mean; every other status means the same everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusMeaning {
    /// A 400 (or 422).
    pub bad_request: ErrorCode,
    /// A 401.
    pub unauthorized: ErrorCode,
    /// A 403.
    pub forbidden: ErrorCode,
}

impl StatusMeaning {
    /// Password login: a 401 is a wrong email or password, a 403 a locked account.
    pub const LOGIN: Self = Self::new(
        ErrorCode::InvalidInput,
        ErrorCode::InvalidCredentials,
        ErrorCode::LockedOut,
    );
    /// Refresh: a 401 ends the session.
    pub const REFRESH: Self = Self::new(
        ErrorCode::InvalidInput,
        ErrorCode::SessionExpired,
        ErrorCode::Forbidden,
    );
    /// Calls with the access token: a 401 means the token is not (or no longer) accepted.
    pub const SIGNED_IN: Self = Self::new(
        ErrorCode::InvalidInput,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
    );
    /// MFA steps: a 400 is a wrong code (try again), a 401 means the MFA token expired (sign in
    /// again), a 403 that the method is not allowed.
    pub const MFA: Self = Self::new(
        ErrorCode::InvalidCode,
        ErrorCode::MfaTokenExpired,
        ErrorCode::Forbidden,
    );
    /// Passwordless completion: a 401 is a wrong, used or expired code or link.
    pub const PASSWORDLESS: Self = Self::new(
        ErrorCode::InvalidInput,
        ErrorCode::InvalidCode,
        ErrorCode::Forbidden,
    );
    /// Calls that need nothing but their arguments (forgot password, sign-up).
    pub const PUBLIC: Self = Self::new(
        ErrorCode::InvalidInput,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
    );

    const fn new(bad_request: ErrorCode, unauthorized: ErrorCode, forbidden: ErrorCode) -> Self {
        Self {
            bad_request,
            unauthorized,
            forbidden,
        }
    }
}

/// The identity API's error body: `{ "errors": ["..."], "errorCode": "ER-..." }`.
#[derive(Debug, Default, FromJson)]
#[json(rename_all = "camelCase")]
struct ServerError {
    #[json(nullable)]
    errors: Vec<String>,
    #[json(default)]
    error_code: Option<String>,
}

fn default_message(code: ErrorCode, status: u16) -> String {
    match code {
        ErrorCode::InvalidCredentials => "Incorrect email or password.".into(),
        ErrorCode::SessionExpired => "The session has expired; sign in again.".into(),
        ErrorCode::Unauthorized => "Not signed in, or the session is no longer valid.".into(),
        ErrorCode::Forbidden => "Not allowed.".into(),
        ErrorCode::NotFound => "Not found.".into(),
        ErrorCode::RateLimited => "Too many attempts; wait a moment and try again.".into(),
        ErrorCode::LockedOut => "The account is locked.".into(),
        _ => format!("The identity server answered with HTTP {status}."),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_message_and_code_are_carried() {
        let e = Error::from_status(
            401,
            r#"{"errors":["Incorrect email or password"],"errorCode":"ER-01000"}"#,
            Some("abc".into()),
            StatusMeaning::LOGIN,
        );
        assert_eq!(e.code, ErrorCode::InvalidCredentials);
        assert_eq!(e.message, "Incorrect email or password");
        assert_eq!(e.status, Some(401));
        assert_eq!(e.error_code.as_deref(), Some("ER-01000"));
        assert_eq!(e.trace_id.as_deref(), Some("abc"));
    }

    #[test]
    fn garbage_body_still_gives_a_sentence() {
        let e = Error::from_status(
            502,
            "<html>bad gateway</html>",
            None,
            StatusMeaning::SIGNED_IN,
        );
        assert_eq!(e.code, ErrorCode::Server);
        assert!(e.message.contains("502"));
        let e = Error::from_status(429, "", None, StatusMeaning::SIGNED_IN);
        assert_eq!(e.code, ErrorCode::RateLimited);
    }

    #[test]
    fn codes_are_snake_case() {
        assert_eq!(
            ErrorCode::WebauthnAlreadyRegistered.as_str(),
            "webauthn_already_registered"
        );
        assert_eq!(ErrorCode::MfaTokenExpired.to_string(), "mfa_token_expired");
    }
}
