//! Transport-neutral HTTP values: the core produces [`HttpRequest`]s and consumes
//! [`HttpResponse`]s, and never performs I/O itself.

use std::fmt;

use crate::core::error::{Error, StatusMeaning};

/// HTTP methods the identity API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// Upper-case name for the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// A request for a transport to send. Its `Debug` shows no header values and no body: they carry
/// the bearer token, cookies, passwords and codes.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    /// Headers to send, in order. Never includes cookies in browser mode.
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<String>,
    /// Whether the browser should attach the host's cookies (`credentials: "include"`). Only
    /// calls that need the refresh cookie set it, so other calls can't be used for CSRF.
    pub with_credentials: bool,
}

/// What came back. Its `Debug` shows no body and no cookies: they carry tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body text (may be empty or garbage: the core copes).
    pub body: String,
    /// `frontegg-trace-id` header, carried into errors.
    pub trace_id: Option<String>,
    /// Every `Set-Cookie` header, where the runtime exposes them (never in browsers).
    pub set_cookies: Vec<String>,
}

impl HttpResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A 429 that says when to come back (`Retry-After`, read by the runtime that has the headers,
/// as [`retry_after_ms`]), as the `rate_limited` error carrying that wait, so the refresh can
/// wait at least that long before its next try (a plain response has nowhere to carry it). Any
/// other answer, and a 429 without a readable `Retry-After`, stays a response for the core.
pub fn rate_limited(
    status: u16,
    retry_after_ms: Option<u32>,
    body: &str,
    trace_id: Option<&str>,
) -> Option<Error> {
    if status != 429 {
        return None;
    }
    let wait = retry_after_ms?;
    // What a 429 means doesn't depend on the endpoint, so any table gives the same error.
    let mut error = Error::from_status(
        status,
        body,
        trace_id.map(str::to_owned),
        StatusMeaning::PUBLIC,
    );
    error.retry_after_ms = Some(wait);
    Some(error)
}

/// A `Retry-After` value as milliseconds from `now_ms` (epoch ms): delay-seconds (`120`), or an
/// HTTP date read by `date` (the runtime's own date parser, e.g. JS `Date.parse`) as epoch ms.
/// A date in the past is 0; anything unreadable is `None`.
pub fn retry_after_ms(
    value: &str,
    date: impl FnOnce(&str) -> Option<f64>,
    now_ms: f64,
) -> Option<u32> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Saturates: "wait longer than anyone will" is still an answer.
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(u32::try_from(seconds.saturating_mul(1000)).unwrap_or(u32::MAX));
    }
    let wait = (date(value)? - now_ms).max(0.0);
    // `as` saturates, and NaN gives 0: come back now rather than never.
    Some(wait.min(f64::from(u32::MAX)) as u32)
}

/// `text` as a URL query value: everything but RFC 3986's unreserved characters is
/// percent-encoded, so a token can't end the parameter or start another.
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url.split('?').next().unwrap_or_default())
            .field("headers", &names)
            .field("body_bytes", &self.body.as_ref().map(String::len))
            .field("with_credentials", &self.with_credentials)
            .finish()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("trace_id", &self.trace_id)
            .field("set_cookies", &self.set_cookies.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("aZ09-._~"), "aZ09-._~");
        assert_eq!(query_value("a+b/c=&d é"), "a%2Bb%2Fc%3D%26d%20%C3%A9");
    }

    #[test]
    fn debug_shows_no_header_value_body_query_or_cookie() {
        let request = HttpRequest {
            method: Method::Post,
            url: "https://h/identity/x?mfaToken=m-secret".into(),
            headers: vec![("authorization".into(), "Bearer t-secret".into())],
            body: Some(r#"{"password":"p-secret"}"#.into()),
            with_credentials: true,
        };
        let response = HttpResponse {
            status: 200,
            body: r#"{"accessToken":"a-secret"}"#.into(),
            trace_id: None,
            set_cookies: vec!["fe_refresh_x=r-secret".into()],
        };
        let printed = format!("{request:?} {response:?}");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("authorization") && printed.contains("https://h/identity/x"));
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let no_dates = |_: &str| None;
        assert_eq!(retry_after_ms("2", no_dates, 0.0), Some(2_000));
        assert_eq!(retry_after_ms(" 0 ", no_dates, 0.0), Some(0));
        let huge = retry_after_ms("99999999999999999999999", no_dates, 0.0);
        assert_eq!(huge, Some(u32::MAX));
        // A date, as the runtime reads it: 5 s ahead, in the past, unreadable.
        let at = |_: &str| Some(1_445_412_480_000.0);
        let date = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(retry_after_ms(date, at, 1_445_412_475_000.0), Some(5_000));
        assert_eq!(
            retry_after_ms(date, at, 1_445_412_481_000.0),
            Some(0),
            "past: now"
        );
        assert_eq!(retry_after_ms(date, at, f64::NAN), Some(0));
        for junk in ["", "-1", "1.5", "soon"] {
            assert_eq!(retry_after_ms(junk, no_dates, 0.0), None, "{junk:?}");
        }
    }

    #[test]
    fn only_a_429_with_a_readable_retry_after_becomes_an_error() {
        let body = r#"{"errors":["Slow down"],"errorCode":"ER-429"}"#;
        let e = rate_limited(429, Some(3_000), body, Some("t1")).unwrap();
        assert_eq!(e.code, crate::core::error::ErrorCode::RateLimited);
        assert_eq!(e.retry_after_ms, Some(3_000));
        assert_eq!((e.message.as_str(), e.status), ("Slow down", Some(429)));
        assert_eq!(e.error_code.as_deref(), Some("ER-429"));
        assert_eq!(e.trace_id.as_deref(), Some("t1"));
        assert_eq!(rate_limited(429, None, body, None), None);
        assert_eq!(rate_limited(503, Some(3_000), body, None), None);
    }
}
