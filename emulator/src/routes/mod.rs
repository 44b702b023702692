//! HTTP routing: the identity API under both prefixes, JWKS, developer endpoints, static files,
//! and the layers every response goes through (CORS, `frontegg-trace-id`).

pub mod account;
pub mod api_tokens;
pub mod auth;
pub mod client;
pub mod dev;
pub mod entitlements;
pub mod mfa;
pub mod passwordless;
pub mod users;
pub mod webauthn;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use rand::RngCore;
use serde::de::DeserializeOwned;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

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
    app.layer(cors(Arc::clone(&state)))
        .layer(middleware::from_fn_with_state(
            state,
            reject_foreign_preflight,
        ))
        .layer(middleware::from_fn(trace_id))
        .layer(middleware::from_fn(client::remember_client))
}

/// Answers preflights from origins that are not allowed with a 403 in the error shape. Browsers
/// would block them anyway (no `Access-Control-Allow-Origin`), but an explicit refusal shows up
/// plainly in the developer tools instead of as a vague CORS failure.
async fn reject_foreign_preflight(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let foreign_origin = headers
        .get(ORIGIN)
        .filter(|_| request.method() == Method::OPTIONS)
        .filter(|_| headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD))
        .filter(|origin| !origin.to_str().is_ok_and(|o| state.origin_allowed(o)));
    if foreign_origin.is_some() {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "Origin not allowed",
            codes::ORIGIN_NOT_ALLOWED,
        )
        .into_response();
    }
    next.run(request).await
}

fn cors(state: Arc<AppState>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            origin
                .to_str()
                .is_ok_and(|origin| state.origin_allowed(origin))
        }))
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

/// A JSON body extractor whose failures are API errors (400 with `errors`), not axum's plain-text
/// rejections. The content type is not checked, and an empty body reads as `{}`, because the
/// official client posts some requests (refresh, logout) with no body at all.
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
