//! The checks every request passes before any route sees it, so that web pages the developer
//! happens to open cannot use the emulator running on their machine:
//!
//! - **Host.** A DNS-rebinding page reaches the emulator under the page's own domain name, so
//!   only loopback names (`localhost`, `*.localhost`), IP addresses and `--allow-host` names are
//!   served; anything else is a 421.
//! - **Origin.** Browsers send `Origin` with every write and every cross-origin read; scripts,
//!   tests and server-side SDKs send none and pass. An `Origin` must be the emulator's own (the
//!   page `--serve` serves), an `--allow-origin` one, or, outside the developer endpoints, one
//!   of the config's `allowedOrigins`; anything else is a 403, preflights included.
//! - **Content type.** A write with a body must declare JSON, so a cross-origin page can only
//!   send it after a preflight, which the Origin rule refuses. Scripts are held to it too
//!   (`fetch` labels a string body `text/plain`), so the rule has no exception to get wrong.
//!   Anything else is a 415.

use std::sync::Arc;

use axum::body::HttpBody as _;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::origin_matches;
use crate::error::{codes, ApiError};
use crate::state::AppState;

/// Where the developer endpoints live; they only take the strictest origins.
const DEVELOPER_PREFIX: &str = "/emulator/";

/// Whether a browser at `origin` may call `path` on the emulator addressed as `headers`' `Host`:
/// the rule the guard enforces and the CORS layer answers with.
pub fn origin_allowed(state: &AppState, origin: &str, headers: &HeaderMap, path: &str) -> bool {
    let own = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .is_some_and(|host| {
            ["http://", "https://"].iter().any(|scheme| {
                origin
                    .strip_prefix(scheme)
                    .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
            })
        });
    own || state
        .access
        .origins
        .iter()
        .any(|pattern| origin_matches(pattern, origin))
        || (!path.starts_with(DEVELOPER_PREFIX) && state.origin_allowed(origin))
}

/// Middleware: answers a request that breaks a rule of this module with the API error, and
/// passes the others on.
pub async fn guard(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    match check(&state, &request) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

fn check(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    if !host.is_some_and(|host| state.access.host_allowed(host)) {
        return Err(ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "Host not allowed: address the emulator as localhost or an IP address, or start it with --allow-host",
            codes::HOST_NOT_ALLOWED,
        ));
    }
    let path = request.uri().path();
    let origin = headers.get(ORIGIN);
    if let Some(origin) = origin {
        if !origin
            .to_str()
            .is_ok_and(|origin| origin_allowed(state, origin, headers, path))
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Origin not allowed: add it to allowedOrigins, or start the emulator with --allow-origin",
                codes::ORIGIN_NOT_ALLOWED,
            ));
        }
    }
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let has_body = request.body().size_hint().exact() != Some(0);
    if safe || !has_body {
        return Ok(());
    }
    // `None`: no header; `Some(None)`: a header that is not a media type.
    let content_type = headers.get(CONTENT_TYPE).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|value| value.parse::<mime::Mime>().ok())
    });
    let json = content_type.as_ref().is_some_and(|mime| {
        mime.as_ref().is_some_and(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        })
    });
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
            codes::UNSUPPORTED_MEDIA_TYPE,
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Access;

    #[test]
    fn hosts_are_loopback_names_addresses_and_configured_names() {
        let access = Access {
            origins: Vec::new(),
            hosts: vec!["dev.example.test".to_owned()],
        };
        for host in [
            "localhost",
            "LOCALHOST:8787",
            "localhost.",
            "app.localhost:5173",
            "127.0.0.1:8787",
            "127.1.2.3",
            "[::1]:8787",
            "192.168.1.20:8787",
            "dev.example.test:8787",
            "Dev.Example.Test",
        ] {
            assert!(access.host_allowed(host), "{host}");
        }
        for host in [
            "evil.example",
            "localhost.evil.example:8787",
            "example.test",
            "sub.dev.example.test",
            "",
            "local host",
            "user@localhost",
        ] {
            assert!(!access.host_allowed(host), "{host}");
        }
    }
}
