//! Transport-neutral HTTP values: the core produces [`HttpRequest`]s and consumes
//! [`HttpResponse`]s, and never performs I/O itself.

use std::fmt;

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
}
