//! The flow rules both prototypes share: request builders, answer readers, session state and the
//! error type. Sans-IO: no network, clock or JS here. Same code in (a) and (b), so the size
//! difference between the prototypes is the driver and the bindings, not the rules.

use serde::{Deserialize, Serialize};

/// Stable machine codes (the subset the prototypes can produce).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    InvalidInput,
    Network,
    Timeout,
    Unauthorized,
    Forbidden,
    NotFound,
    RateLimited,
    InvalidCredentials,
    SessionExpired,
    Server,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::InvalidCredentials => "invalid_credentials",
            Self::SessionExpired => "session_expired",
            Self::Server => "server",
        }
    }
}

/// The one error type: JS sees `FronteggError { code, message, status? }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub status: Option<u16>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), status: None }
    }

    /// A non-2xx answer; `unauthorized` says what a 401 means for this endpoint.
    pub fn from_status(status: u16, body: &str, unauthorized: Code) -> Self {
        #[derive(Deserialize, Default)]
        struct ServerError {
            #[serde(default)]
            errors: Vec<String>,
        }
        let server: ServerError = serde_json::from_str(body).unwrap_or_default();
        let code = match status {
            400 | 422 => Code::InvalidInput,
            401 => unauthorized,
            403 => Code::Forbidden,
            404 => Code::NotFound,
            429 => Code::RateLimited,
            _ => Code::Server,
        };
        let message = match server.errors.into_iter().next() {
            Some(m) => m,
            None => format!("The identity server answered {status}."),
        };
        Self { code, message, status: Some(status) }
    }

    /// `fetch` threw: a timeout or an unreachable host.
    pub fn from_fetch(name: &str, message: &str) -> Self {
        if name == "TimeoutError" || name == "AbortError" {
            return Self::new(Code::Timeout, "The identity server did not answer in time.");
        }
        Self::new(Code::Network, format!("Could not reach the identity server ({message})."))
    }

    /// Transient failures: a refresh that fails this way keeps a still-valid token usable.
    pub fn is_transient(&self) -> bool {
        matches!(self.code, Code::Network | Code::Timeout)
            || (self.code == Code::Server && self.status.is_some_and(|s| s >= 500))
    }
}

/// A request for whoever does I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<String>,
    /// `credentials: "include"` (the refresh cookie).
    pub credentials: bool,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub access_token: String,
    /// Epoch milliseconds.
    pub expires_at: f64,
    /// Server mode only (the browser keeps it in an httpOnly cookie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `GET users/v2/me`, read into a typed value and written back out (both prototypes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub mfa_enrolled: bool,
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_ids: Vec<String>,
    #[serde(default)]
    pub roles: Vec<Grant>,
    #[serde(default)]
    pub permissions: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginArgs {
    pub email: String,
    pub password: String,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    email: &'a str,
    password: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub base_url: String,
    #[serde(default)]
    pub refresh_leeway_seconds: Option<f64>,
}

pub const LOGIN: &str = "/identity/resources/auth/v1/user";
pub const REFRESH: &str = "/identity/resources/auth/v1/user/token/refresh";
pub const ME: &str = "/identity/resources/users/v2/me";
/// setTimeout's largest delay; longer ones fire at once in every runtime.
pub const MAX_TIMER_MS: u32 = (1 << 31) - 1;

/// Client state and the rules that change it.
#[derive(Debug)]
pub struct Rules {
    base: String,
    leeway_ms: f64,
    pub session: Option<Session>,
}

impl Rules {
    pub fn new(config: Config) -> Result<Self> {
        let base = config.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(Error::new(Code::InvalidInput, "`baseUrl` must be an http(s) URL."));
        }
        Ok(Self {
            base,
            leeway_ms: config.refresh_leeway_seconds.unwrap_or(30.0) * 1000.0,
            session: None,
        })
    }

    pub fn from_json(json: &str) -> Result<Self> {
        let config: Config = serde_json::from_str(json)
            .map_err(|_| Error::new(Code::InvalidInput, "createAuth: `{ baseUrl }` is required."))?;
        Self::new(config)
    }

    fn request(&self, method: &'static str, path: &str, body: Option<String>, credentials: bool) -> Request {
        let mut headers = vec![("accept", "application/json".to_owned())];
        if body.is_some() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        Request { method, url: format!("{}{path}", self.base), headers, body, credentials }
    }

    pub fn login_request(&self, args: &LoginArgs) -> Request {
        let body = serde_json::to_string(&LoginBody { email: &args.email, password: &args.password })
            .unwrap_or_default();
        self.request("POST", LOGIN, Some(body), true)
    }

    pub fn login_args(json: &str) -> Result<LoginArgs> {
        serde_json::from_str(json)
            .map_err(|_| Error::new(Code::InvalidInput, "login: `{ email, password }` is required."))
    }

    pub fn handle_login(&mut self, resp: Response, now: f64) -> Result<Session> {
        self.absorb(resp, now, Code::InvalidCredentials)
    }

    pub fn refresh_request(&self) -> Request {
        self.request("POST", REFRESH, Some(r#"{"tenantId":null}"#.to_owned()), true)
    }

    /// A 401 ends the session.
    pub fn handle_refresh(&mut self, resp: Response, now: f64) -> Result<Session> {
        let r = self.absorb(resp, now, Code::SessionExpired);
        if matches!(&r, Err(e) if e.code == Code::SessionExpired) {
            self.session = None;
        }
        r
    }

    fn absorb(&mut self, resp: Response, now: f64, unauthorized: Code) -> Result<Session> {
        if !(200..300).contains(&resp.status) {
            return Err(Error::from_status(resp.status, &resp.body, unauthorized));
        }
        let body: AuthResponse = serde_json::from_str(&resp.body).map_err(|_| Error {
            code: Code::Server,
            message: "The identity server sent an unexpected response.".into(),
            status: Some(resp.status),
        })?;
        let session = Session {
            access_token: body.access_token,
            expires_at: now + body.expires_in.unwrap_or(300.0) * 1000.0,
            refresh_token: body.refresh_token,
        };
        self.session = Some(session.clone());
        Ok(session)
    }

    pub fn profile_request(&self) -> Result<Request> {
        let s = self.session.as_ref().ok_or_else(|| Error::new(Code::Unauthorized, "Not signed in."))?;
        let mut r = self.request("GET", ME, None, false);
        r.headers.push(("authorization", format!("Bearer {}", s.access_token)));
        Ok(r)
    }

    pub fn handle_profile(&self, resp: Response) -> Result<Profile> {
        if !(200..300).contains(&resp.status) {
            return Err(Error::from_status(resp.status, &resp.body, Code::Unauthorized));
        }
        serde_json::from_str(&resp.body).map_err(|_| Error {
            code: Code::Server,
            message: "The identity server sent an unexpected response.".into(),
            status: Some(resp.status),
        })
    }

    pub fn signed_in(&self) -> bool {
        self.session.is_some()
    }

    pub fn needs_refresh(&self, now: f64) -> bool {
        self.session.as_ref().is_none_or(|s| now >= s.expires_at - self.leeway_ms)
    }

    pub fn is_expired(&self, now: f64) -> bool {
        self.session.as_ref().is_none_or(|s| now >= s.expires_at)
    }

    /// When to refresh next: `leeway` before expiry (at half the remaining life at the latest),
    /// clamped to setTimeout's 2^31-1 ms.
    pub fn refresh_delay_ms(&self, now: f64) -> Option<u32> {
        let s = self.session.as_ref()?;
        let remaining = s.expires_at - now;
        if remaining <= 0.0 {
            return Some(0);
        }
        let at = (remaining - self.leeway_ms).max(remaining / 2.0).max(0.0);
        Some(at.min(MAX_TIMER_MS as f64) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_is_clamped() {
        let mut r = Rules::from_json(r#"{"baseUrl":"http://h"}"#).unwrap();
        r.session = Some(Session { access_token: "t".into(), expires_at: 1e13, refresh_token: None });
        assert_eq!(r.refresh_delay_ms(0.0), Some(MAX_TIMER_MS));
    }
}

/// JSON text out (serde_json here; rules-hand writes it by hand).
pub trait ToJson {
    fn to_json(&self) -> String;
}

impl ToJson for Session {
    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl ToJson for Profile {
    fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_quoted(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// Appends `n` in decimal (no core::fmt).
pub fn push_u32(out: &mut String, mut n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}
