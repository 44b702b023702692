//! The API error shape: `{ "errors": ["human message"], "errorCode": "ER-xxxxx" }`.
//!
//! The official JS client reads `errors` (joined into its exception message) and `errorCode`,
//! so every failure, including malformed requests, must come back in this shape.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Stable error codes. The hosted service's numbering is not published for these cases, so the
/// emulator uses its own, kept distinct so tests and SDK code can tell the cases apart.
pub mod codes {
    /// The request body or a parameter is missing, malformed or mistyped.
    pub const INVALID_REQUEST: &str = "ER-01000";
    /// Password login failed: unknown user or wrong password (deliberately the same code).
    pub const INVALID_CREDENTIALS: &str = "ER-01001";
    /// The refresh cookie is missing, unknown, expired or its session was revoked.
    pub const SESSION_EXPIRED: &str = "ER-01002";
    /// A refresh token that had already been rotated was presented again.
    pub const REFRESH_TOKEN_REUSED: &str = "ER-01003";
    /// The bearer access token is missing, malformed, forged, expired or its session is revoked.
    pub const UNAUTHORIZED: &str = "ER-01004";
    /// The user asked for a tenant they do not belong to.
    pub const NOT_A_TENANT_MEMBER: &str = "ER-01005";
    /// A user with this email already exists.
    pub const USER_ALREADY_EXISTS: &str = "ER-01006";
    /// A browser request (a preflight included) came from an origin that is not allowed.
    pub const ORIGIN_NOT_ALLOWED: &str = "ER-01007";
    /// Too many attempts from this IP or against this user; `Retry-After` says when to retry.
    pub const RATE_LIMITED: &str = "ER-01008";
    /// The account is locked after too many failed attempts.
    pub const ACCOUNT_LOCKED: &str = "ER-01009";
    /// The request's `Host` is not a loopback name, an IP address or an `--allow-host` name.
    pub const HOST_NOT_ALLOWED: &str = "ER-01010";
    /// A write's body is not declared as JSON.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "ER-01011";
    /// The user signed up without a password and has not redeemed the activation link.
    pub const ACCOUNT_NOT_ACTIVATED: &str = "ER-01012";
    /// The MFA token is unknown, already used or expired: sign in again.
    pub const MFA_TOKEN_INVALID: &str = "ER-02001";
    /// The MFA code (authenticator app, SMS or email) is wrong, or a TOTP code was already used.
    pub const INVALID_MFA_CODE: &str = "ER-02002";
    /// The `otcToken` is unknown, used, expired or burned by too many wrong codes: request a
    /// new code.
    pub const MFA_CODE_EXPIRED: &str = "ER-02003";
    /// The MFA device id is not one of the user's devices.
    pub const MFA_DEVICE_NOT_FOUND: &str = "ER-02004";
    /// Enrollment refused: the user is already enrolled (login) or already has an authenticator
    /// app (settings).
    pub const MFA_ALREADY_ENROLLED: &str = "ER-02005";
    /// MFA recovery failed: unknown email or wrong recovery code (deliberately the same code).
    pub const INVALID_RECOVERY_CODE: &str = "ER-02006";
    /// The MFA policy does not offer this method.
    pub const MFA_METHOD_DISABLED: &str = "ER-02007";
    /// No authenticator-app enrollment is in progress (never started, completed or expired).
    pub const MFA_ENROLLMENT_NOT_STARTED: &str = "ER-02008";
    /// A new password breaks the password policy (too short, too long).
    pub const PASSWORD_POLICY: &str = "ER-04001";
    /// A password-reset or activation link is unknown, used, expired or not this user's.
    pub const INVALID_LINK_TOKEN: &str = "ER-04002";
    /// Changing the password: the current password given is wrong.
    pub const WRONG_CURRENT_PASSWORD: &str = "ER-04003";
    /// The session id is not one of the signed-in user's live sessions.
    pub const SESSION_NOT_FOUND: &str = "ER-04004";
    /// API-token login: unknown client id or wrong secret (deliberately the same code).
    pub const INVALID_API_CREDENTIALS: &str = "ER-04005";
    /// A developer request names a user that does not exist.
    pub const USER_NOT_FOUND: &str = "ER-04006";
    /// The phone number is another user's verified number: it cannot be claimed.
    pub const PHONE_NUMBER_TAKEN: &str = "ER-04007";
    /// The passwordless method (magic link, email code, SMS code) is turned off in the config.
    pub const PASSWORDLESS_DISABLED: &str = "ER-03001";
    /// The magic-link token, or the code with its `otcToken`, is unknown, wrong, used, expired or
    /// burned by too many wrong guesses (deliberately one code for all).
    pub const PASSWORDLESS_INVALID: &str = "ER-03002";
    /// No WebAuthn relying party fits the request: no usable `Origin` and no configured origins.
    pub const WEBAUTHN_RP_UNAVAILABLE: &str = "ER-03010";
    /// The WebAuthn challenge (or `webauthnToken`) is unknown, already answered, expired, or
    /// belongs to another ceremony or user.
    pub const WEBAUTHN_CHALLENGE_INVALID: &str = "ER-03011";
    /// The origin in `clientDataJSON` is not the relying party's.
    pub const WEBAUTHN_ORIGIN_MISMATCH: &str = "ER-03012";
    /// The WebAuthn response failed verification (signature, challenge, RP id, flags, format).
    pub const WEBAUTHN_VERIFICATION_FAILED: &str = "ER-03013";
    /// The authenticator's signature counter did not increase: a possibly cloned authenticator.
    pub const WEBAUTHN_COUNTER_REGRESSION: &str = "ER-03014";
    /// The credential is not registered (deleted, never registered, or not this user's).
    pub const WEBAUTHN_CREDENTIAL_UNKNOWN: &str = "ER-03015";
    /// The credential is already registered.
    pub const WEBAUTHN_CREDENTIAL_EXISTS: &str = "ER-03016";
    /// The WebAuthn device id is not one of the user's devices of this kind.
    pub const WEBAUTHN_DEVICE_NOT_FOUND: &str = "ER-03017";
    /// No route matches the path.
    pub const NOT_FOUND: &str = "ER-00404";
    /// The route exists but not for this method.
    pub const METHOD_NOT_ALLOWED: &str = "ER-00405";
    /// Something failed inside the emulator (storage, signing).
    pub const INTERNAL: &str = "ER-00500";
}

/// An error answered to the caller as JSON with an HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// The human message, sent as the single element of `errors`.
    pub message: String,
    /// The machine-readable `errorCode`.
    pub code: &'static str,
    /// Seconds for a `Retry-After` header (429 answers).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with any status, message and code.
    pub fn new(status: StatusCode, message: impl Into<String>, code: &'static str) -> Self {
        Self {
            status,
            message: message.into(),
            code,
            retry_after: None,
        }
    }

    /// 429: too many attempts; retry after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts; try again later",
                codes::RATE_LIMITED,
            )
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message, codes::INVALID_REQUEST)
    }

    /// 401: the bearer token is not acceptable.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            codes::UNAUTHORIZED,
        )
    }

    /// 500: an internal failure. The cause goes to stderr, never to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        eprintln!("frontegg-emulator: internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            codes::INTERNAL,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [self.message], "errorCode": self.code });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        Self::internal(err)
    }
}
