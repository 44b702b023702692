//! reqwest runtime for native builds (integration tests against the emulator).

use std::time::Duration;

use crate::client::runtime::{unreachable_message, Runtime};
use crate::core::error::{Error, ErrorCode, Result};
use crate::core::http::{rate_limited, retry_after_ms, HttpRequest, HttpResponse, Method};

/// Sends requests with reqwest. Cookies are never stored by reqwest: the core keeps the
/// refresh cookie itself, as it does in every server-mode runtime.
#[derive(Debug, Clone, Default)]
pub struct NativeRuntime {
    client: reqwest::Client,
}

impl Runtime for NativeRuntime {
    async fn send(&self, request: HttpRequest, timeout_ms: u32) -> Result<HttpResponse> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .client
            .request(method, &request.url)
            .timeout(Duration::from_millis(u64::from(timeout_ms)));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let fail = |e: reqwest::Error| {
            if e.is_timeout() {
                Error::new(
                    ErrorCode::Timeout,
                    format!("The identity server did not answer within {timeout_ms} ms."),
                )
            } else {
                Error::new(
                    ErrorCode::Network,
                    unreachable_message(&request.url, &e.to_string()),
                )
            }
        };
        let response = builder.send().await.map_err(fail)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let trace_id = header("frontegg-trace-id");
        let retry_after = header("retry-after");
        let set_cookies = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let body = response.text().await.map_err(fail)?;
        // Seconds only: the tests' emulator sends no dates.
        let wait = retry_after.and_then(|v| retry_after_ms(&v, |_| None, 0.0));
        if let Some(e) = rate_limited(status, wait, &body, trace_id.as_deref()) {
            return Err(e);
        }
        Ok(HttpResponse {
            status,
            body,
            trace_id,
            set_cookies,
        })
    }

    fn sleep(&self, ms: u32) -> impl std::future::Future<Output = ()> + use<> {
        tokio::time::sleep(Duration::from_millis(u64::from(ms)))
    }

    /// On the current tokio `LocalSet` (the client is not `Send`).
    fn spawn(&self, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
        tokio::task::spawn_local(task);
    }

    type RefreshLock = ();

    async fn refresh_lock(&self) {}

    fn jitter(&self) -> f64 {
        // std's per-process random hash keys are randomness enough to spread retries.
        use std::hash::{BuildHasher, Hasher};
        let bits = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }
}
