//! HTTP routing: the identity API under both prefixes, JWKS, developer endpoints, static files,
//! and the layers every response goes through (CORS, the [`guard`] rules, panic recovery,
//! `frontegg-trace-id`).

pub mod account;
pub mod api_tokens;
pub mod auth;
pub mod bearer;
pub mod client;
pub mod dev;
pub mod entitlements;
pub mod guard;
pub mod mfa;
pub mod passwordless;
pub mod phone_numbers;
#[cfg(test)]
mod reference_tests;
pub mod signin;
#[cfg(test)]
mod tests;
pub mod users;
pub mod webauthn;

use std::any::Any;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rand::RngCore;
use serde::de::DeserializeOwned;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::error::{codes, ApiError};
use crate::state::AppState;

/// Header carrying a random id on every response, as the hosted service does.
pub const TRACE_ID_HEADER: &str = "frontegg-trace-id";

/// Request headers browsers may send cross-origin: the official client's metadata headers.
const ALLOWED_REQUEST_HEADERS: [&str; 10] = [
    "content-type",
    "authorization",
    "frontegg-requested-application-id",
    "frontegg-source",
    "x-frontegg-framework",
    "x-frontegg-sdk",
    "frontegg-tenant-id",
    "frontegg-vendor-host",
    // Also sent by @frontegg/rest-api (scoped tenant and login alias); without them its
    // preflights would fail.
    "frontegg-scoped-tenant",
    "frontegg-login-alias",
];

/// The whole application. With `serve_dir`, unmatched paths are served from that directory.
pub fn router(state: Arc<AppState>, serve_dir: Option<&Path>) -> Router {
    // Each area module owns its routes (paths relative to `/identity`).
    let identity = Router::new()
        .merge(auth::routes())
        .merge(users::routes())
        .merge(mfa::routes())
        .merge(account::routes())
        .merge(api_tokens::routes())
        .merge(passwordless::routes())
        .merge(phone_numbers::routes())
        .merge(webauthn::routes())
        .method_not_allowed_fallback(method_not_allowed);
    let app = Router::new()
        .nest("/identity", identity.clone())
        .nest("/frontegg/identity", identity)
        .merge(entitlements::routes())
        .route("/.well-known/jwks.json", get(jwks))
        .nest(
            "/emulator/v1",
            dev::router().merge(api_tokens::dev_routes()),
        )
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(Arc::clone(&state));
    let app = match serve_dir {
        Some(dir) => app.fallback_service(ServeDir::new(dir)),
        None => app.fallback(not_found),
    };
    with_layers(app, state)
}

/// How long a request's body may stall between two chunks.
const BODY_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The layers every response goes through, outermost last: a stalled body cut off, panics
/// turned into 500s, CORS, the [`guard`] rules, `frontegg-trace-id`, and the client remembered
/// for sessions.
fn with_layers(app: Router, state: Arc<AppState>) -> Router {
    // A body that stops arriving ends in the JSON 400 of the extractor reading it, rather than
    // holding its connection for good (one that trickles a byte at a time is not cut off).
    app.layer(RequestBodyTimeoutLayer::new(BODY_STALL_TIMEOUT))
        // Innermost but one, so the 500 of a panic gets CORS headers and a trace id like any
        // other error.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors(Arc::clone(&state)))
        .layer(middleware::from_fn_with_state(state, guard::guard))
        .layer(middleware::from_fn(trace_id))
        .layer(middleware::from_fn(client::remember_client))
}

/// A handler panicked: the caller gets a 500 in the error shape, the cause goes to stderr, and
/// the server carries on with the next request.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let cause = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    ApiError::internal(format_args!("a request handler panicked: {cause}")).into_response()
}

/// CORS answers for the origins the [`guard`] lets through (it refuses the others first).
fn cors(state: Arc<AppState>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(
            move |origin: &HeaderValue, request: &Parts| {
                origin.to_str().is_ok_and(|origin| {
                    guard::origin_allowed(&state, origin, &request.headers, request.uri.path())
                })
            },
        ))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ])
        .allow_headers(ALLOWED_REQUEST_HEADERS.map(HeaderName::from_static))
        .expose_headers([HeaderName::from_static(TRACE_ID_HEADER)])
        .max_age(Duration::from_secs(600))
}

async fn trace_id(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Ok(value) = HeaderValue::from_str(&hex) {
        response.headers_mut().insert(TRACE_ID_HEADER, value);
    }
    response
}

async fn jwks(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(state.key.jwks())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not found", codes::NOT_FOUND)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        codes::METHOD_NOT_ALLOWED,
    )
}

/// A path extractor whose failures (a segment that is not UTF-8) are API errors (400 with
/// `errors`), not axum's plain-text rejections.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|e| ApiError::new(e.status(), e.body_text(), codes::INVALID_REQUEST))
    }
}

/// A JSON body extractor whose failures are API errors (400 with `errors`), not axum's plain-text
/// rejections. The content type is left to the [`guard`] (which takes `text/plain` from scripts
/// on the developer endpoints), and an empty body reads as `{}`, because the official client
/// posts some requests (refresh, logout) with no body at all.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text(), codes::INVALID_REQUEST))?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(body)
            .map(ApiJson)
            .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
    }
}
