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
    /// A browser preflight came from an origin that is not allowed.
    pub const ORIGIN_NOT_ALLOWED: &str = "ER-01007";
    /// Too many attempts from this IP or against this user; `Retry-After` says when to retry.
    pub const RATE_LIMITED: &str = "ER-01008";
    /// The account is locked after too many failed attempts.
    pub const ACCOUNT_LOCKED: &str = "ER-01009";
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
